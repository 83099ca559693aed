import { type DynamicModule, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import {
  createGateway,
  createHttpHandler,
  type Gateway,
  type GatewayOptions,
  type HttpHandlerOptions,
  type Logger as PixelgateLogger,
  TOKENS,
} from '@pixelgate/core';
import { type DependencyContainer, container as rootContainer } from 'tsyringe';
import { PixelgateController } from './pixelgate.controller.ts';
import { PIXELGATE_GATEWAY, PIXELGATE_HANDLER, PIXELGATE_OPTIONS } from './pixelgate.tokens.ts';

/** Options of {@link PixelgateModule.forRoot}. */
export interface PixelgateModuleOptions {
  /** Gateway options (providers, budgets, guardrails...), as for `createGateway`. */
  gateway: Omit<GatewayOptions, 'container'>;
  /** HTTP handler options (authentication, CORS, limits). */
  http: HttpHandlerOptions;
  /**
   * pixelgate's own tsyringe container to compose in (default: the global one). Register
   * replacements for `TOKENS.*` on it to swap parts (a Redis budget store, a database audit sink).
   */
  container?: DependencyContainer;
  /** Make the gateway injectable in every module without importing this one. */
  global?: boolean;
}

/** pixelgate's logger interface on top of Nest's logger, so gateway logs land in the app's log. */
export function nestLogger(logger: Logger = new Logger('pixelgate')): PixelgateLogger {
  // pixelgate passes (fields, message), in pino's order.
  const line = (fields: Record<string, unknown>, message: string) => `${message} ${JSON.stringify(fields)}`;
  return {
    debug: (fields, message) => logger.debug(line(fields, message)),
    info: (fields, message) => logger.log(line(fields, message)),
    warn: (fields, message) => logger.warn(line(fields, message)),
    error: (fields, message) => logger.error(line(fields, message)),
  };
}

/**
 * Builds the gateway in a child of pixelgate's tsyringe container, with Nest's logger registered
 * under `TOKENS.Logger`: Nest's DI owns the gateway's lifetime and hands it to controllers, while
 * pixelgate composes its own parts in its own container. The two meet in this factory only.
 */
export function createNestGateway(options: PixelgateModuleOptions): Gateway {
  const child = (options.container ?? rootContainer).createChildContainer();
  if (!child.isRegistered(TOKENS.Logger, true)) child.register(TOKENS.Logger, { useValue: nestLogger() });
  return createGateway({ ...options.gateway, container: child });
}

/**
 * pixelgate as a Nest module: `PixelgateModule.forRoot({ gateway, http })` provides the `Gateway`
 * (`@Inject(PIXELGATE_GATEWAY)`) and mounts the HTTP API under `/v1`. The gateway is closed (audit
 * flushed, plugins released) when the application shuts down.
 *
 * Every constructor parameter uses an explicit `@Inject(token)`: esbuild-based tools (tsx,
 * vitest) do not emit the decorator metadata Nest would otherwise read.
 */
@Module({})
export class PixelgateModule implements OnApplicationShutdown {
  constructor(@Inject(PIXELGATE_GATEWAY) private readonly gateway: Gateway) {}

  static forRoot(options: PixelgateModuleOptions): DynamicModule {
    return {
      module: PixelgateModule,
      global: options.global ?? false,
      controllers: [PixelgateController],
      providers: [
        { provide: PIXELGATE_OPTIONS, useValue: options },
        { provide: PIXELGATE_GATEWAY, useFactory: createNestGateway, inject: [PIXELGATE_OPTIONS] },
        {
          provide: PIXELGATE_HANDLER,
          useFactory: (gateway: Gateway, moduleOptions: PixelgateModuleOptions) =>
            createHttpHandler(gateway, moduleOptions.http),
          inject: [PIXELGATE_GATEWAY, PIXELGATE_OPTIONS],
        },
      ],
      exports: [PIXELGATE_GATEWAY, PIXELGATE_HANDLER],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.gateway.close();
  }
}
