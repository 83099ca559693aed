/**
 * @pixelgate/jobs: durable image jobs on BullMQ, signed webhooks (Standard Webhooks) and
 * `Idempotency-Key` for POST routes, on the Redis the deployment already runs.
 * @packageDocumentation
 */
export { type BatchService, type BatchServiceOptions, createBatchService } from './batch-service.ts';
export { createIdempotency, type IdempotencyOptions } from './idempotency.ts';
export { jobProviderConcurrency } from './job-provider-concurrency.ts';
export { jobResumeMiddleware, type SavedUpstreamJob } from './job-resume.ts';
export {
  type JobData,
  type JobEvent,
  type JobOperation,
  type JobStatus,
  type JobView,
  jobOperationSchema,
  jobViewSchema,
} from './job-schemas.ts';
export {
  createJobService,
  DEFAULT_MAX_JOB_BODY_BYTES,
  type JobService,
  type JobServiceOptions,
  type RefusedJob,
} from './job-service.ts';
export { createJobsHandler, type JobsHandlerOptions } from './jobs-handler.ts';
export { JOBS_ROUTE_DOCS } from './jobs-route-docs.ts';
export {
  checkWebhookUrl,
  createWebhookDispatcher,
  type WebhookDelivery,
  type WebhookDispatcher,
  type WebhookDispatcherOptions,
  type WebhookUrlPolicy,
} from './webhooks.ts';
