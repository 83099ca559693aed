import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import { ATTR, defined, GENERATE_OPERATION, providerOf, tokenTotals } from './attributes.ts';
import { subscribe } from './subscribe.ts';

/** The spans of one request in flight: the request span and its open provider-call spans. */
interface RequestTrace {
  span: Span;
  calls: Map<string, Span>;
  /** Whether the requested model is resolved (a fallback resolves again; the span keeps the first). */
  resolved: boolean;
}

/** Outcomes that are the gateway's or a provider's failure; a refused request (validation, guardrail) is the caller's. */
const FAILED_OUTCOMES = new Set(['failed']);

/**
 * Records the gateway's traces from its events: one span per request (`generate_content {model}`),
 * a client span per provider call attempt, and spans for the timed stages the events report
 * (guardrails, storage, the audit write), with the rest (rate limit, budget, retries, fallbacks,
 * warnings) as span events. The request span's parent is whatever context is active when the
 * request starts, so it nests under the embedding server's HTTP span. Returns the unsubscribe
 * function, which also ends spans still open.
 */
export function subscribeTraces(events: GatewayEventEmitter, tracer: Tracer): () => void {
  const open = new Map<string, RequestTrace>();

  /** A child of the request span; `durationMs` back-dates its start to when the stage began. */
  const child = (
    requestId: string,
    name: string,
    attributes: Attributes,
    durationMs?: number,
    kind = SpanKind.INTERNAL,
  ) => {
    const parent = open.get(requestId);
    if (!parent) return undefined;
    const startTime = durationMs === undefined ? undefined : new Date(Date.now() - durationMs);
    return tracer.startSpan(
      name,
      { kind, attributes, ...(startTime ? { startTime } : {}) },
      trace.setSpan(context.active(), parent.span),
    );
  };
  const note = (requestId: string, name: string, attributes: Attributes = {}) =>
    open.get(requestId)?.span.addEvent(name, attributes);

  const unsubscribe = subscribe(events, {
    'request-start': (event) => {
      const span = tracer.startSpan(GENERATE_OPERATION, {
        kind: SpanKind.INTERNAL,
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
      open.set(event.requestId, { span, calls: new Map(), resolved: false });
    },
    'model-resolve': (event) => {
      const request = open.get(event.requestId);
      if (!request || request.resolved) return;
      request.resolved = true;
      request.span.updateName(`${GENERATE_OPERATION} ${event.model}`);
      request.span.setAttributes({ [ATTR.requestModel]: event.model, [ATTR.providerName]: event.provider });
    },
    'capability-warning': (event) =>
      note(
        event.requestId,
        'pixelgate.warning',
        defined({ type: event.warning.type, param: event.warning.param }),
      ),
    'rate-limit': (event) =>
      note(event.requestId, 'pixelgate.rate_limit', {
        allowed: event.allowed,
        limit: event.limit,
        remaining: event.remaining,
      }),
    'guardrail-verdict': ({ requestId, verdict }) => {
      const span = child(
        requestId,
        `guardrail ${verdict.guardrail}`,
        {
          [ATTR.guardrail]: verdict.guardrail,
          [ATTR.guardrailStage]: verdict.stage,
          [ATTR.guardrailAction]: verdict.action,
        },
        verdict.durationMs,
      );
      span?.end();
    },
    'budget-reserve': (event) =>
      note(
        event.requestId,
        'pixelgate.budget_reserve',
        defined({ granted: event.granted, usd: event.amountUsd }),
      ),
    'provider-call-start': (event) => {
      const span = child(
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
        undefined,
        SpanKind.CLIENT,
      );
      if (span) open.get(event.requestId)?.calls.set(`${event.callIndex}:${event.attempt}`, span);
    },
    'provider-call-end': (event) => {
      const calls = open.get(event.requestId)?.calls;
      const key = `${event.callIndex}:${event.attempt}`;
      const span = calls?.get(key);
      if (!span) return;
      calls?.delete(key);
      span.setAttribute(ATTR.images, event.images);
      if (event.errorCode) {
        span.setAttributes(defined({ [ATTR.errorType]: event.errorCode, [ATTR.reason]: event.reason }));
        span.setStatus({ code: SpanStatusCode.ERROR, message: event.errorCode });
      }
      span.end();
    },
    'provider-retry': (event) =>
      note(
        event.requestId,
        'pixelgate.retry',
        defined({ attempt: event.attempt, delay_ms: event.delayMs, reason: event.reason }),
      ),
    'model-fallback': (event) =>
      note(event.requestId, 'pixelgate.fallback', {
        [ATTR.fallbackFrom]: event.from,
        [ATTR.fallbackTo]: event.to,
        [ATTR.errorType]: event.errorCode,
      }),
    'storage-put': (event) =>
      child(
        event.requestId,
        'storage put',
        { [ATTR.mediaType]: event.mediaType, [ATTR.sizeBytes]: event.sizeBytes },
        event.durationMs,
      )?.end(),
    'budget-settle': (event) =>
      note(
        event.requestId,
        'pixelgate.budget_settle',
        defined({ reserved_usd: event.reservedUsd, actual_usd: event.actualUsd }),
      ),
    'audit-write': (event) =>
      child(event.requestId, 'audit write', { [ATTR.outcome]: event.outcome }, event.durationMs)?.end(),
    'audit-error': (event) => note(event.requestId, 'pixelgate.audit_error'),
    'request-end': (event) => {
      const request = open.get(event.requestId);
      if (!request) return;
      open.delete(event.requestId);
      for (const span of request.calls.values()) span.end();
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
        span.setStatus({
          code: SpanStatusCode.ERROR,
          ...(event.errorCode ? { message: event.errorCode } : {}),
        });
      span.end();
    },
  });
  return () => {
    unsubscribe();
    for (const request of open.values()) {
      for (const span of request.calls.values()) span.end();
      request.span.end();
    }
    open.clear();
  };
}
