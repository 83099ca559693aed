import type { BudgetReservation } from '@pixelgate/core/spec';
import { z } from 'zod';
import type { SavedUpstreamJob } from './job-resume.ts';

/** Where a job stands. */
export const jobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);
/** One of {@link jobStatusSchema}. */
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** One progress event of a job, as its status and its webhooks report it. */
export const jobEventSchema = z.object({
  type: z.enum(['job.queued', 'job.started', 'job.completed', 'job.failed', 'job.cancelled']),
  at: z.string(),
});
/** A job event. */
export type JobEvent = z.infer<typeof jobEventSchema>;

/** What a job carries through the queue: the request and who asked, never a credential. */
export interface JobData {
  tenantId: string;
  userId?: string;
  keyId?: string;
  /** The generation body as sent. */
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
