import {
  type Gateway,
  type GatewayError,
  type GenerationResult,
  type PartialImageEvent,
  type TenantContext,
  toGatewayError,
  toOpenAIImagesResponse,
} from '@pixelgate/core';
import { type Job, UnrecoverableError } from 'bullmq';
import { releaseJobBudget } from './job-budget.ts';
import { runAsJob, type SavedUpstreamJob } from './job-resume.ts';
import type { JobData, JobEvent } from './job-schemas.ts';
import type { WebhookDispatcher } from './webhooks.ts';

/** What a worker needs to run jobs: the gateway, the cancel flags, the calls in flight, webhooks. */
export interface JobProcessorParts {
  gateway: Gateway;
  isCancelled(id: string): Promise<boolean>;
  /** The abort controller of each job running in this process, so a cancel can reach it. */
  running: Map<string, AbortController>;
  webhooks?: WebhookDispatcher;
}

/**
 * The BullMQ processor: runs one job through the gateway with the job id as the request id (so
 * the job has exactly one audit record), reports its events, and ends a failure as final (the
 * gateway already retried what was safe to retry).
 */
export function createJobProcessor(parts: JobProcessorParts) {
  return async (job: Job<JobData>): Promise<Record<string, unknown>> => {
    const id = job.id!;
    const controller = new AbortController();
    parts.running.set(id, controller);
    if (await parts.isCancelled(id)) controller.abort();
    const started: JobEvent = { type: 'job.started', at: new Date().toISOString() };
    const progress = jobProgressOf(job, started);
    await progress.flush();
    await parts.webhooks?.enqueue(job.data, id, started);
    const events = jobEventsOf(parts.gateway, job);
    const tenant: TenantContext = {
      tenantId: job.data.tenantId,
      ...(job.data.userId ? { userId: job.data.userId } : {}),
      ...(job.data.keyId ? { keyId: job.data.keyId } : {}),
    };
    // The hold taken before the 202 goes back as the gateway's budget stage reserves anew.
    await releaseJobBudget(parts.gateway, job.data.reservation);
    try {
      const run = job.data.operation === 'edit' ? parts.gateway.edit : parts.gateway.generate;
      const result = await runAsJob(upstreamOf(job), () =>
        run.call(parts.gateway, job.data.body, {
          tenant,
          signal: controller.signal,
          source: 'job',
          requestId: id,
          onPartialImage: (partial) => {
            events.partialImage(partial);
            progress.add(partialImageEntry(partial));
          },
        }),
      );
      const body = job.data.style === 'openai' ? toOpenAIImagesResponse(result) : nativeBody(result);
      events.succeeded(result.images.length);
      await parts.webhooks?.enqueue(
        job.data,
        id,
        { type: 'job.completed', at: new Date().toISOString() },
        body,
      );
      return body;
    } catch (thrown) {
      const error = toGatewayError(thrown);
      const cancelled = await parts.isCancelled(id);
      events.ended(cancelled, error.code);
      await parts.webhooks?.enqueue(
        job.data,
        id,
        { type: cancelled ? 'job.cancelled' : 'job.failed', at: new Date().toISOString() },
        { error: errorOf(error) },
      );
      throw new UnrecoverableError(JSON.stringify(errorOf(error)));
    } finally {
      await progress.flush();
      events.stop();
      parts.running.delete(id);
    }
  };
}

/**
 * The job's progress entries in its status (`GET .../jobs/{id}`): each entry is written in order,
 * one write after the other, since partial images are reported without waiting. `flush` waits
 * for the writes so far; a failed write is left to the next one (progress is informative).
 */
function jobProgressOf(job: Job<JobData>, started: JobEvent) {
  const entries: JobEvent[] = [started];
  let written: Promise<unknown> = job.updateProgress({ events: [...entries] });
  return {
    add(entry: JobEvent) {
      entries.push(entry);
      const snapshot = [...entries];
      written = written.catch(() => undefined).then(() => job.updateProgress({ events: snapshot }));
    },
    flush: () => written.catch(() => undefined),
  };
}

/** A streamed job's progress entry for one partial image: where it belongs, never the image. */
function partialImageEntry(partial: PartialImageEvent): JobEvent {
  return {
    type: 'job.partial_image',
    at: new Date().toISOString(),
    image_index: partial.imageIndex,
    partial_image_index: partial.partialImageIndex,
    media_type: partial.mediaType,
  };
}

/** The job's saved upstream jobs, and how a newly reported one is saved to its data at once. */
function upstreamOf(job: Job<JobData>) {
  const saved = [...(job.data.upstream ?? [])];
  return {
    requestId: job.id!,
    saved: job.data.upstream ?? [],
    save: async (entry: SavedUpstreamJob) => {
      saved.push(entry);
      await job.updateData({ ...job.data, upstream: [...saved] });
    },
  };
}

/**
 * The job's typed gateway events in this worker: `job-started` now, `job-progress` for each
 * provider call of the job's request, `job-partial-image` for each partial image of a streamed
 * job, and one of `job-succeeded`, `job-failed`, `job-cancelled`.
 */
function jobEventsOf(gateway: Gateway, job: Job<JobData>) {
  const id = job.id!;
  const base = { requestId: id, tenantId: job.data.tenantId, jobId: id };
  const startedAt = Date.now();
  let images = 0;
  gateway.events.emit('job-started', {
    ...base,
    attempt: job.attemptsStarted ?? 1,
    waitedMs: Math.max(0, startedAt - Date.parse(job.data.createdAt)),
  });
  const onCallEnd = (event: { requestId: string; callIndex: number; images: number }) => {
    if (event.requestId !== id) return;
    images += event.images;
    gateway.events.emit('job-progress', { ...base, callIndex: event.callIndex, images });
  };
  gateway.events.on('provider-call-end', onCallEnd);
  const durationMs = () => Date.now() - startedAt;
  return {
    /** Which partial image arrived: indexes and media type only, never the image. */
    partialImage: (partial: PartialImageEvent) =>
      gateway.events.emit('job-partial-image', {
        ...base,
        imageIndex: partial.imageIndex,
        partialImageIndex: partial.partialImageIndex,
        mediaType: partial.mediaType,
      }),
    succeeded: (count: number) =>
      gateway.events.emit('job-succeeded', { ...base, durationMs: durationMs(), images: count }),
    ended: (cancelled: boolean, errorCode: string) =>
      cancelled
        ? gateway.events.emit('job-cancelled', { ...base, durationMs: durationMs() })
        : gateway.events.emit('job-failed', { ...base, durationMs: durationMs(), errorCode }),
    stop: () => gateway.events.off('provider-call-end', onCallEnd),
  };
}

function errorOf(error: GatewayError) {
  return { code: error.code, message: error.message, param: error.param ?? null };
}

/** The native route's body for a job's result: OpenAI's fields plus what pixelgate knows. */
function nativeBody(result: GenerationResult): Record<string, unknown> {
  return {
    ...toOpenAIImagesResponse(result),
    request_id: result.requestId,
    model: result.model,
    provider: result.provider,
    warnings: result.warnings,
    labels: result.labels,
    cost: result.cost,
  };
}
