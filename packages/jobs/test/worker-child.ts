// A worker process for the durability test: runs jobs with a provider that never answers, says
// "ready" once its worker listens, and waits to be killed.
import { createGateway } from '@pixelgate/core';
import { createJobService } from '../src/index.ts';
import { createSlowProvider } from './jobs-fixture.ts';

const [redisUrl, prefix] = process.argv.slice(2);
const { provider } = createSlowProvider({ hold: new Promise(() => {}) });
const gateway = createGateway({ providers: [provider] });
const jobs = createJobService({
  gateway,
  redisUrl: redisUrl!,
  prefix: prefix!,
  lockDurationMs: 2000,
  stalledIntervalMs: 500,
});
await jobs.startWorkers();
process.stdout.write('ready\n');
