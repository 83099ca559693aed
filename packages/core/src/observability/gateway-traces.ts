import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TimeInput,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { GatewayEventEmitter, GatewayEvents } from '../events/gateway-events.ts';
import { ATTR, defined, GENERATE_OPERATION, providerOf, tokenTotals } from './attributes.ts';
import { anchoredClock, trackStages } from './stage-timer.ts';
import { type GatewayListeners, subscribe } from './subscribe.ts';

/** The spans of one request in flight: the request span and its open provider-call spans. */
interface RequestTrace {
  span: Span;
  calls: Map<string, Span>;
  /** Whether the requested model is resolved (a fallback resolves again; the span keeps the first). */
  resolved: boolean;
  /** The clock every span of this request is timed with, so children always lie within the request span. */
  now: () => number;
}

/** What the listeners of one subscription share: the tracer and the requests in flight. */
interface TraceState {
  tracer: Tracer;
  open: Map<string, RequestTrace>;
}

/** How a child span is timed and what kind it is. */
interface ChildOptions {
  /** Back-dates the start to when the work began (a reported duration ago). */
  durationMs?: number;
  startTime?: TimeInput;
  kind?: SpanKind;
}

/** Outcomes that are the gateway's or a provider's failure; a refused request (validation, guardrail) is the caller's. */
const FAILED_OUTCOMES = new Set(['failed']);

/** A child of the request span, or undefined when the request is not traced. */
function child(
  state: TraceState,
  requestId: string,
  name: string,
  attributes: Attributes,
  options: ChildOptions = {},
): Span | undefined {
  const parent = state.open.get(requestId);
  if (!parent) return undefined;
  const startTime = options.startTime ?? parent.now() - (options.durationMs ?? 0);
  return state.tracer.startSpan(
    name,
    { kind: options.kind ?? SpanKind.INTERNAL, attributes, startTime },
    trace.setSpan(context.active(), parent.span),
  );
}

/** Now, by the clock of a request's spans (undefined, the SDK's clock, for a request not traced). */
function nowOf(state: TraceState, requestId: string): number | undefined {
  return state.open.get(requestId)?.now();
}

/** Adds an event to the request span. */
function note(state: TraceState, requestId: string, name: string, attributes: Attributes = {}): void {
  state.open.get(requestId)?.span.addEvent(name, attributes);
}

/** The request span: started in the active context, so it nests under the embedding server's span. */
function requestListeners(state: TraceState): GatewayListeners {
  return {
    'request-start': (event) => {
      const now = anchoredClock();
      const span = state.tracer.startSpan(GENERATE_OPERATION, {
        kind: SpanKind.INTERNAL,
        startTime: now(),
        attributes: defined({
          [ATTR.operationName]: GENERATE_OPERATION,
          [ATTR.outputType]: 'image',
          [ATTR.requestId]: event.requestId,
          [ATTR.tenantId]: event.tenantId,
          [ATTR.source]: event.source,
          [ATTR.requestModel]: event.requestedModel,
          [ATTR.choiceCount]: event.n,
        }),
      });
      state.open.set(event.requestId, { span, calls: new Map(), resolved: false, now });
    },
    'model-resolve': (event) => {
      const request = state.open.get(event.requestId);
      if (!request || request.resolved) return;
      request.resolved = true;
      request.span.updateName(`${GENERATE_OPERATION} ${event.model}`);
      request.span.setAttributes({ [ATTR.requestModel]: event.model, [ATTR.providerName]: event.provider });
    },
  };
}

/** Ends the request span with the request's outcome, model, images, cost and tokens. */
function endRequest(state: TraceState, event: Parameters<GatewayEvents['request-end']>[0]): void {
  const request = state.open.get(event.requestId);
  if (!request) return;
  state.open.delete(event.requestId);
  const end = request.now();
  for (const span of request.calls.values()) span.end(end);
  const { span } = request;
  const tokens = tokenTotals(event.usage);
  span.setAttributes(
    defined({
      [ATTR.outcome]: event.outcome,
      [ATTR.responseModel]: event.model,
      [ATTR.providerName]: providerOf(event.model),
      [ATTR.images]: event.images,
      [ATTR.costUsd]: event.costUsd,
      [ATTR.warnings]: event.warnings,
      [ATTR.errorType]: event.errorCode,
      [ATTR.inputTokens]: tokens.input,
      [ATTR.outputTokens]: tokens.output,
    }),
  );
  if (FAILED_OUTCOMES.has(event.outcome))
    span.setStatus({ code: SpanStatusCode.ERROR, ...(event.errorCode ? { message: event.errorCode } : {}) });
  span.end(end);
}

/** A client span per provider call attempt, with ERROR status and the reason when it failed. */
function callListeners(state: TraceState): GatewayListeners {
  return {
    'provider-call-start': (event) => {
      const span = child(
        state,
        event.requestId,
        `${GENERATE_OPERATION} ${event.model}`,
        defined({
          [ATTR.operationName]: GENERATE_OPERATION,
          [ATTR.outputType]: 'image',
          [ATTR.requestModel]: event.model,
          [ATTR.providerName]: providerOf(event.model),
          [ATTR.choiceCount]: event.n,
          [ATTR.callIndex]: event.callIndex,
          [ATTR.attempt]: event.attempt,
        }),
        { kind: SpanKind.CLIENT },
      );
      if (span) state.open.get(event.requestId)?.calls.set(`${event.callIndex}:${event.attempt}`, span);
    },
    'provider-call-end': (event) => {
      const calls = state.open.get(event.requestId)?.calls;
      const key = `${event.callIndex}:${event.attempt}`;
      const span = calls?.get(key);
      if (!span) return;
      calls?.delete(key);
      span.setAttribute(ATTR.images, event.images);
      if (event.errorCode) {
        span.setAttributes(defined({ [ATTR.errorType]: event.errorCode, [ATTR.reason]: event.reason }));
        span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode });
      }
      span.end(nowOf(state, event.requestId));
    },
  };
}

/** Spans of the work the events time themselves: each guardrail, each stored image, the audit write. */
function timedWorkListeners(state: TraceState): GatewayListeners {
  return {
    'guardrail-verdict': ({ requestId, verdict }) =>
      child(
        state,
        requestId,
        `guardrail ${verdict.guardrail}`,
        {
          [ATTR.guardrail]: verdict.guardrail,
          [ATTR.guardrailStage]: verdict.stage,
          [ATTR.guardrailAction]: verdict.action,
        },
        { durationMs: verdict.durationMs },
      )?.end(nowOf(state, requestId)),
    'storage-put': (event) =>
      child(
        state,
        event.requestId,
        'storage put',
        { [ATTR.mediaType]: event.mediaType, [ATTR.sizeBytes]: event.sizeBytes },
        { durationMs: event.durationMs },
      )?.end(nowOf(state, event.requestId)),
    'audit-write': (event) =>
      child(
        state,
        event.requestId,
        'audit write',
        { [ATTR.outcome]: event.outcome },
        { durationMs: event.durationMs },
      )?.end(nowOf(state, event.requestId)),
  };
}

/** Span events on the request span: rate limit, budget, retries, fallbacks, warnings, audit errors. */
function noteListeners(state: TraceState): GatewayListeners {
  return {
    'capability-warning': (event) =>
      note(
        state,
        event.requestId,
        'pixelgate.warning',
        defined({ type: event.warning.type, param: event.warning.param }),
      ),
    'rate-limit': (event) =>
      note(state, event.requestId, 'pixelgate.rate_limit', {
        allowed: event.allowed,
        limit: event.limit,
        remaining: event.remaining,
      }),
    'budget-reserve': (event) =>
      note(
        state,
        event.requestId,
        'pixelgate.budget_reserve',
        defined({ granted: event.granted, usd: event.amountUsd }),
      ),
    'provider-retry': (event) =>
      note(
        state,
        event.requestId,
        'pixelgate.retry',
        defined({ attempt: event.attempt, delay_ms: event.delayMs, reason: event.reason }),
      ),
    'model-fallback': (event) =>
      note(state, event.requestId, 'pixelgate.fallback', {
        [ATTR.fallbackFrom]: event.from,
        [ATTR.fallbackTo]: event.to,
        [ATTR.errorType]: event.errorCode,
      }),
    'budget-settle': (event) =>
      note(
        state,
        event.requestId,
        'pixelgate.budget_settle',
        defined({ reserved_usd: event.reservedUsd, actual_usd: event.actualUsd }),
      ),
    'audit-error': (event) => note(state, event.requestId, 'pixelgate.audit_error'),
  };
}

/** Subscribes each listener group; two groups may listen to one event. Returns the unsubscribe function. */
function subscribeAll(events: GatewayEventEmitter, groups: GatewayListeners[]): () => void {
  const stops = groups.map((listeners) => subscribe(events, listeners));
  return () => {
    for (const stop of stops) stop();
  };
}

/**
 * Records the gateway's traces from its events: one span per request (`generate_content {model}`),
 * a `stage {name}` span per pipeline stage that ran (with `pixelgate.stage.outcome`), a client
 * span per provider call attempt, spans for the work the events time (each guardrail, each
 * stored image, the audit write), and the rest (rate limit, budget, retries, fallbacks, warnings)
 * as span events. The request span's parent is whatever context is active when the request
 * starts, so it nests under the embedding server's HTTP span. Returns the unsubscribe function,
 * which also ends spans still open.
 */
export function subscribeTraces(events: GatewayEventEmitter, tracer: Tracer): () => void {
  const state: TraceState = { tracer, open: new Map() };
  // The order of listeners is the order of calls: the request span starts before the stage clock
  // and ends after the last stage is reported, so stage spans always lie within it.
  const stopRequests = subscribe(events, requestListeners(state));
  const stopStages = trackStages(
    events,
    (timing) =>
      child(
        state,
        timing.requestId,
        `stage ${timing.stage}`,
        { [ATTR.stage]: timing.stage, [ATTR.stageOutcome]: timing.outcome },
        { startTime: timing.startTime },
      )?.end(timing.endTime),
    (requestId) => state.open.get(requestId)?.now,
  );
  const unsubscribe = subscribeAll(events, [
    { 'request-end': (event) => endRequest(state, event) },
    callListeners(state),
    timedWorkListeners(state),
    noteListeners(state),
  ]);
  return () => {
    stopRequests();
    stopStages();
    unsubscribe();
    for (const request of state.open.values()) {
      for (const span of request.calls.values()) span.end();
      request.span.end();
    }
    state.open.clear();
  };
}
