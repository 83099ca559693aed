import type { Meter } from '@opentelemetry/api';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import { ATTR, defined, GENERATE_OPERATION, providerOf, tokenTotals } from './attributes.ts';
import { trackStages } from './stage-timer.ts';
import { subscribe } from './subscribe.ts';

/** Latency buckets in seconds: image generation takes from ~0.1 s (cached/local) to minutes. */
const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 60, 120, 300];

/**
 * Records the gateway's metrics from its events: requests by outcome, model and provider; request
 * and provider-call latency; images; cost; guardrail verdicts; retries; fallbacks; rate-limit and
 * budget refusals. Returns the unsubscribe function.
 */
export function subscribeMetrics(events: GatewayEventEmitter, meter: Meter): () => void {
  const histogram = { advice: { explicitBucketBoundaries: LATENCY_BUCKETS } };
  const requests = meter.createCounter('pixelgate.requests', {
    description: 'Image generation requests, by outcome, model and provider.',
  });
  const requestDuration = meter.createHistogram('pixelgate.request.duration', {
    description: 'Duration of a generation request, from validation to the audit record.',
    unit: 's',
    ...histogram,
  });
  const operationDuration = meter.createHistogram('gen_ai.client.operation.duration', {
    description: 'Duration of one provider call (GenAI semantic conventions).',
    unit: 's',
    ...histogram,
  });
  const tokenUsage = meter.createHistogram('gen_ai.client.token.usage', {
    description: 'Tokens a provider reported per request, by token type (GenAI semantic conventions).',
    unit: '{token}',
    advice: { explicitBucketBoundaries: [1, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576] },
  });
  const images = meter.createCounter('pixelgate.images', { description: 'Images delivered.' });
  const cost = meter.createCounter('pixelgate.cost', {
    description: 'Cost of delivered images.',
    unit: 'USD',
  });
  const verdicts = meter.createCounter('pixelgate.guardrail.verdicts', {
    description: 'Guardrail verdicts, by guardrail, stage and action.',
  });
  const retries = meter.createCounter('pixelgate.provider.retries', {
    description: 'Provider call retries.',
  });
  const fallbacks = meter.createCounter('pixelgate.fallbacks', {
    description: 'Fallbacks to another model.',
  });
  const rateLimited = meter.createCounter('pixelgate.rate_limit.refusals', {
    description: 'Requests refused by a rate limit.',
  });
  const budgetRefused = meter.createCounter('pixelgate.budget.refusals', {
    description: 'Requests refused because a budget would be exceeded.',
  });

  return subscribe(events, {
    'request-end': (event) => {
      const model = defined({
        [ATTR.requestModel]: event.model,
        [ATTR.providerName]: providerOf(event.model),
      });
      requests.add(1, {
        ...model,
        [ATTR.outcome]: event.outcome,
        ...defined({ [ATTR.errorType]: event.errorCode }),
      });
      requestDuration.record(event.durationMs / 1000, { ...model, [ATTR.outcome]: event.outcome });
      if (event.images) images.add(event.images, model);
      if (event.costUsd) cost.add(event.costUsd, model);
      const tokens = tokenTotals(event.usage);
      const operation = { ...model, [ATTR.operationName]: GENERATE_OPERATION };
      if (tokens.input !== undefined)
        tokenUsage.record(tokens.input, { ...operation, [ATTR.tokenType]: 'input' });
      if (tokens.output !== undefined)
        tokenUsage.record(tokens.output, { ...operation, [ATTR.tokenType]: 'output' });
    },
    'provider-call-end': (event) => {
      operationDuration.record(
        event.durationMs / 1000,
        defined({
          [ATTR.operationName]: GENERATE_OPERATION,
          [ATTR.requestModel]: event.model,
          [ATTR.providerName]: providerOf(event.model),
          [ATTR.errorType]: event.errorCode,
        }),
      );
    },
    'guardrail-verdict': ({ verdict }) => {
      verdicts.add(1, {
        [ATTR.guardrail]: verdict.guardrail,
        [ATTR.guardrailStage]: verdict.stage,
        [ATTR.guardrailAction]: verdict.action,
      });
    },
    'provider-retry': (event) => {
      retries.add(
        1,
        defined({
          [ATTR.requestModel]: event.model,
          [ATTR.providerName]: providerOf(event.model),
          [ATTR.reason]: event.reason,
        }),
      );
    },
    'model-fallback': (event) => {
      fallbacks.add(1, {
        [ATTR.fallbackFrom]: event.from,
        [ATTR.fallbackTo]: event.to,
        [ATTR.errorType]: event.errorCode,
      });
    },
    'rate-limit': (event) => {
      if (!event.allowed) rateLimited.add(1);
    },
    'budget-reserve': (event) => {
      if (!event.granted) budgetRefused.add(1);
    },
  });
}

/** Stage buckets in seconds: a rate-limit check takes a millisecond, a provider call minutes. */
const STAGE_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
];

/**
 * `pixelgate.stage.duration`: how long each pipeline stage took, by stage and outcome (both from
 * fixed lists, so the series stay bounded): the runner's measurement when the `request-end`
 * timings have one for the stage, else the estimate from event gaps. Returns the unsubscribe function.
 */
export function subscribeStageMetrics(events: GatewayEventEmitter, meter: Meter): () => void {
  const duration = meter.createHistogram('pixelgate.stage.duration', {
    description: 'Duration of one pipeline stage of a generation request, by stage and outcome.',
    unit: 's',
    advice: { explicitBucketBoundaries: STAGE_BUCKETS },
  });
  return trackStages(events, (timing) => {
    duration.record(Math.max(0, timing.durationMs) / 1000, {
      [ATTR.stage]: timing.stage,
      [ATTR.stageOutcome]: timing.outcome,
    });
  });
}
