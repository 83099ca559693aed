// A worker process for the two-worker batch test. Mode `hang`: every provider call waits forever
// (the process is killed mid-job). Mode `run`: calls answer at once. It prints `ready` once its
// worker listens, `call <prompt>` when a provider call starts, and `audit <json>` for each audit
// record, so the test sees every process's records without a shared sink.
import { type AuditRecord, createGateway } from '@pixelgate/core';
import { createMockImageProvider, MOCK_MODEL, solidPng } from '@pixelgate/core/testing';
import { createJobService } from '../src/index.ts';

const [redisUrl, prefix, mode] = process.argv.slice(2);
const provider = createMockImageProvider({
  models: [MOCK_MODEL],
  async generate(call) {
    process.stdout.write(`call ${call.prompt}\n`);
    if (mode === 'hang') await new Promise(() => {});
    return { images: [{ bytes: solidPng(256, 256), mediaType: 'image/png' }] };
  },
});
const auditSink = {
  async write(record: AuditRecord) {
    const line = {
      requestId: record.requestId,
      outcome: record.outcome,
      usd: record.cost?.actualUsd ?? null,
    };
    process.stdout.write(`audit ${JSON.stringify(line)}\n`);
  },
};
const gateway = createGateway({ providers: [provider], auditSink });
const jobs = createJobService({
  gateway,
  redisUrl: redisUrl!,
  prefix: prefix!,
  concurrency: mode === 'hang' ? 1 : 4,
  lockDurationMs: 2000,
  stalledIntervalMs: 500,
});
await jobs.startWorkers();
process.stdout.write('ready\n');
