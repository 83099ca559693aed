import { AsyncLocalStorage } from 'node:async_hooks';
import type { GatewayMiddleware } from '@pixelgate/core';
import type { UpstreamJob } from '@pixelgate/core/provider-utils';

/** One upstream job a provider call of a job reported, as the job's data keeps it. */
export interface SavedUpstreamJob {
  provider: string;
  model: string;
  callIndex: number;
  upstream: UpstreamJob;
}

/** What the running job shares with {@link jobResumeMiddleware}: its id, saved upstream jobs, where to save. */
interface RunningJob {
  requestId: string;
  saved: ReadonlyArray<SavedUpstreamJob>;
  save(entry: SavedUpstreamJob): Promise<void>;
}

const runningJob = new AsyncLocalStorage<RunningJob>();

/** Whether the provider call of request `requestId` runs inside a job (see {@link runAsJob}). */
export function isJobRequest(requestId: string): boolean {
  return runningJob.getStore()?.requestId === requestId;
}

/** Runs `work` (the job's gateway request) with the job visible to {@link jobResumeMiddleware}. */
export function runAsJob<T>(job: RunningJob, work: () => Promise<T>): Promise<T> {
  return runningJob.run(job, work);
}

/**
 * The gateway middleware that makes submit-and-poll providers resumable in jobs. Around each
 * provider call of a job: if an earlier worker already submitted this call (its upstream job is in
 * the job's data) and the plugin has `resume`, the call resumes polling that upstream job instead
 * of submitting again; otherwise the call runs with `context.onUpstreamJob` set, and the upstream
 * job the plugin reports is saved to the job's data at once. Calls outside jobs pass untouched.
 * Add it to every gateway that runs job workers (`createGateway({ middleware: [jobResumeMiddleware] })`).
 */
export const jobResumeMiddleware: GatewayMiddleware = {
  name: 'job-resume',
  wrapProviderCall(invocation, next) {
    const job = runningJob.getStore();
    const { provider, context, call } = invocation;
    if (!job || job.requestId !== context.requestId) return next();
    const model = call.model.id;
    const saved = job.saved.find(
      (entry) =>
        entry.provider === provider.id && entry.model === model && entry.callIndex === context.callIndex,
    );
    if (saved && provider.resume) return provider.resume(saved.upstream, call, context);
    let saving: Promise<void> = Promise.resolve();
    // The provider's call context is made for this one call, so the reporter is set on it alone.
    context.onUpstreamJob = (upstream) => {
      saving = job
        .save({ provider: provider.id, model, callIndex: context.callIndex, upstream })
        .catch(() => {});
    };
    return next().finally(() => saving);
  },
};
