import type { AuditSink } from '../audit/audit-record.ts';
import type { BudgetStore } from '../budget/budget-store.ts';
import type { AccessPolicy, GatewayConfig } from '../config/gateway-config.ts';
import type { GatewayEventEmitter } from '../events/gateway-events.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import type { MediaDelivery } from '../media/media-delivery.ts';
import type { RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import type { ModelRegistry } from '../registry/model-registry.ts';
import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import type { StorageAdapter } from '../storage/storage-adapter.ts';
import type { GatewayMiddleware } from './middleware.ts';

/**
 * The parts the stages use, resolved once when the gateway is built. A stage takes what it needs
 * from here; nothing in the pipeline reaches for the container.
 */
export interface PipelineDeps {
  readonly config: GatewayConfig;
  readonly registry: ModelRegistry;
  readonly storage: StorageAdapter;
  readonly auditSink: AuditSink;
  readonly budgetStore: BudgetStore;
  readonly rateLimitStore: RateLimitStore;
  /** The configured guardrails split by stage once, in their configured order. */
  readonly guardrails: { readonly input: Guardrail[]; readonly output: Guardrail[] };
  readonly accessPolicy: AccessPolicy;
  readonly delivery: MediaDelivery;
  readonly events: GatewayEventEmitter;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  /** Request and provider-call hooks, first outermost. */
  readonly middleware: ReadonlyArray<GatewayMiddleware>;
}
