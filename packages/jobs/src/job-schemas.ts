import type { BudgetReservation } from '@pixelgate/core/spec';
import { z } from 'zod';
import type { SavedUpstreamJob } from './job-resume.ts';

/** Where a job stands. */
export const jobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
/** One of {@link jobStatusSchema}. */
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** What a job runs: a generation (the default) or an edit of input images. */
export const jobOperationSchema = z.enum(['generate', 'edit']);
/** One of {@link jobOperationSchema}. */
export type JobOperation = z.infer<typeof jobOperationSchema>;

/**
 * One progress event of a job, as its status and its webhooks report it. `job.partial_image`
 * (streamed jobs only) says which partial image arrived; the partial image itself is not stored.
 */
export const jobEventSchema = z.object({
  type: z.enum([
    'job.queued',
    'job.started',
    'job.partial_image',
    'job.completed',
    'job.failed',
    'job.cancelled',
  ]),
  at: z.string(),
  image_index: z.number().int().optional(),
  partial_image_index: z.number().int().optional(),
  media_type: z.string().optional(),
});
/** A job event. */
export type JobEvent = z.infer<typeof jobEventSchema>;

/** What a job carries through the queue: the request and who asked, never a credential. */
export interface JobData {
  tenantId: string;
  userId?: string;
  keyId?: string;
  /** What the job runs; absent on jobs queued before edits existed, which generate. */
  operation?: JobOperation;
  /**
   * The request body as sent (without `operation` and `webhook_url`). An edit's input images are
   * in it as data URLs: they stay in Redis for the job's retention time.
   */
  body: Record<string, unknown>;
  /** Which response shape the result takes. */
  style: 'openai' | 'native';
  webhookUrl?: string;
  /** The budget hold taken before the 202; the worker gives it back as the gateway reserves anew. */
  reservation?: BudgetReservation;
  /** Upstream jobs submit-and-poll providers reported for this job: a worker taking over resumes them. */
  upstream?: SavedUpstreamJob[];
  createdAt: string;
}

/** `GET .../jobs/{id}`. */
export const jobViewSchema = z.object({
  id: z.string(),
  object: z.literal('image.job'),
  status: jobStatusSchema,
  created_at: z.string(),
  events: z.array(jobEventSchema),
  result: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The generation response, in the route's shape."),
  error: z.object({ code: z.string(), message: z.string(), param: z.string().nullable() }).optional(),
  webhook_deliveries: z
    .array(
      z.object({
        event: z.string(),
        attempt: z.number().int(),
        status: z.number().int().nullable(),
        at: z.string(),
        error: z.string().optional(),
      }),
    )
    .optional(),
});
/** A job as the API shows it. */
export type JobView = z.infer<typeof jobViewSchema>;
