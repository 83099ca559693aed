import type { AuditSink } from '../audit/audit-record.ts';
import type { BudgetStore } from '../budget/budget-store.ts';
import type { AccessPolicy, GatewayConfigInput } from '../config/gateway-config.ts';
import type { DependencyContainer } from '../container/tsyringe.ts';
import type { Guardrail } from '../guardrails/guardrail.ts';
import type { MediaSigner } from '../media/media-signer.ts';
import type { ModelOverride } from '../models/model-descriptor.ts';
import type { GatewayMiddleware } from '../pipeline/middleware.ts';
import type { ImageProvenance } from '../pipeline/stages/provenance.ts';
import type { ImageProvider } from '../provider/image-provider.ts';
import type { RateLimitStore } from '../rate-limit/rate-limit-store.ts';
import type { Clock } from '../shared/clock.ts';
import type { IdGenerator } from '../shared/ids.ts';
import type { Logger } from '../shared/logger.ts';
import type { StorageAdapter } from '../storage/storage-adapter.ts';

// The data configuration (schema and types) lives in `config/` so that the pipeline can read it
// without importing the gateway; re-exported here, where users look for it.
export {
  type AccessPolicy,
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
} from '../config/gateway-config.ts';

/**
 * Everything `createGateway` accepts: the data configuration plus the objects (plugins, stores,
 * seams). Only `providers` is required; every other part has an in-process default.
 */
export interface GatewayOptions extends GatewayConfigInput {
  /** Provider plugins. */
  providers: ImageProvider[];
  /** Models added or changed by configuration. */
  models?: ModelOverride[];
  /** Where images are stored (default: in memory). */
  storageAdapter?: StorageAdapter;
  /** Guardrails for both stages (default: the built-in input and output guardrails). */
  guardrails?: Guardrail[];
  /** Where audit records go (default: kept in memory, see `gateway.auditSink`). */
  auditSink?: AuditSink;
  budgetStore?: BudgetStore;
  rateLimitStore?: RateLimitStore;
  /** Tenant model access (default: `createAccessPolicy(access)`: plans, then the tenant's own allow-lists). */
  accessPolicy?: AccessPolicy;
  /** Signs media URLs (default: HMAC with `mediaSigningKeys`, or a random per-process key). */
  mediaSigner?: MediaSigner;
  /** Keys for the default media signer; the first is active unless `activeKeyId` says otherwise. */
  mediaSigningKeys?: Array<{ id: string; secret: string; retired?: boolean }>;
  /** The key new media tokens are signed with (default: the first key not retired). */
  mediaActiveKeyId?: string;
  /**
   * Hooks around each request and each provider call, first outermost (see docs/middleware.md).
   * Every request still leaves exactly one audit record, whatever a middleware does.
   */
  middleware?: GatewayMiddleware[];
  /**
   * Content provenance (`createProvenanceStamper` from `@pixelgate/provenance`): runs as the
   * `provenance` stage between the output guardrails and the store.
   */
  provenance?: ImageProvenance;
  clock?: Clock;
  idGenerator?: IdGenerator;
  logger?: Logger;
  /**
   * A tsyringe container to build in (a child is created); register tokens on it to override parts.
   * An explicit option above always wins over a registration on this container.
   */
  container?: DependencyContainer;
}
