// A worker process for the durability tests: runs jobs with a provider that never answers, says
// "ready" once its worker listens, and waits to be killed. With `resumable`, the provider first
// reports an upstream job (`up-<prompt>`), as a submit-and-poll plugin does once submitted.
import { createGateway } from '@pixelgate/core';
import { createMockImageProvider, MOCK_MODEL } from '@pixelgate/core/testing';
import { createJobService, jobResumeMiddleware } from '../src/index.ts';
import { createSlowProvider } from './jobs-fixture.ts';

const [redisUrl, prefix, mode] = process.argv.slice(2);
const provider =
  mode === 'resumable'
    ? createMockImageProvider({
        models: [MOCK_MODEL],
        async generate(call, context) {
          context.onUpstreamJob?.({
            id: `up-${call.prompt}`,
            data: { pollingUrl: 'https://upstream.test/poll' },
          });
          return new Promise(() => {});
        },
      })
    : createSlowProvider({ hold: new Promise(() => {}) }).provider;
const gateway = createGateway({ providers: [provider], middleware: [jobResumeMiddleware] });
const jobs = createJobService({
  gateway,
  redisUrl: redisUrl!,
  prefix: prefix!,
  lockDurationMs: 2000,
  stalledIntervalMs: 500,
});
await jobs.startWorkers();
process.stdout.write('ready\n');
