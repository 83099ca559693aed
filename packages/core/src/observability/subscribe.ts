import type { GatewayEventEmitter, GatewayEvents } from '../events/gateway-events.ts';

/** Some of the gateway's event listeners, typed by event name. */
export type GatewayListeners = { [K in keyof GatewayEvents]?: GatewayEvents[K] };

/** Adds the listeners to the emitter; returns the function that removes exactly them. */
export function subscribe(events: GatewayEventEmitter, listeners: GatewayListeners): () => void {
  const entries = Object.entries(listeners) as Array<[keyof GatewayEvents, (...args: never[]) => void]>;
  for (const [name, listener] of entries) events.on(name, listener as never);
  return () => {
    for (const [name, listener] of entries) events.off(name, listener as never);
  };
}
