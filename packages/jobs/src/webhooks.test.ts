import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSlowProvider,
  type JobsFixture,
  KEY_A,
  startJobsFixture,
  waitForJob,
} from '../test/jobs-fixture.ts';
import { connectTestRedis, REDIS_URL, type TestRedis } from '../test/redis.ts';
import { checkWebhookUrl } from './webhook-url-policy.ts';
import { createWebhookDispatcher, type WebhookDispatcher } from './webhooks.ts';

describe('the webhook URL policy', () => {
  it('refuses loopback, private, link-local and reserved targets, credentials and plain http', async () => {
    for (const url of [
      'https://127.0.0.1/hook',
      'https://10.1.2.3/hook',
      'https://192.168.0.10/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/hook',
      'https://[fd00::1]/hook',
      'https://[::ffff:10.0.0.1]/hook',
      'https://localhost/hook',
      'http://93.184.216.34/hook',
      'https://user:pass@93.184.216.34/hook',
      'ftp://93.184.216.34/hook',
      'not a url',
    ]) {
      await expect(checkWebhookUrl(url), url).rejects.toMatchObject({
        code: 'VALIDATION_ERROR',
        param: 'webhook_url',
      });
    }
    await expect(checkWebhookUrl('https://93.184.216.34/hook')).resolves.toBeInstanceOf(URL);
    await expect(
      checkWebhookUrl('http://127.0.0.1:9/hook', { allowPrivateNetworks: true }),
    ).resolves.toBeInstanceOf(URL);
    await expect(
      checkWebhookUrl('https://93.184.216.34/hook', { allowHosts: ['hooks.example'] }),
    ).rejects.toMatchObject({
      param: 'webhook_url',
    });
  });
});

describe.skipIf(!REDIS_URL)('signed webhooks on the real Redis', () => {
  let testRedis: TestRedis | undefined;
  let fixture: JobsFixture | undefined;
  let dispatcher: WebhookDispatcher | undefined;
  let receiver: Server | undefined;
  afterEach(async () => {
    await fixture?.close();
    await dispatcher?.close();
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
    await testRedis?.cleanup();
  });

  it('delivers every job event exactly as signed, retrying after the receiver answered 500 twice', async () => {
    testRedis = connectTestRedis();
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const received: Array<{ id: string; type: string; verified: boolean; status: number }> = [];
    let failingId: string | undefined;
    let failuresLeft = 2;
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        let verified = false;
        try {
          new Webhook(secret).verify(body, request.headers as Record<string, string>);
          verified = true;
        } catch {
          verified = false;
        }
        const id = String(request.headers['webhook-id']);
        failingId ??= id;
        const status = id === failingId && failuresLeft-- > 0 ? 500 : 200;
        received.push({ id, type: JSON.parse(body).type, verified, status });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => receiver!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    dispatcher = createWebhookDispatcher({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      secrets: { 'tenant-a': secret },
      policy: { allowPrivateNetworks: true },
      backoffMs: 50,
      attempts: 6,
    });
    await dispatcher.startWorkers(1);
    const { provider } = createSlowProvider();
    fixture = await startJobsFixture({
      redisUrl: REDIS_URL!,
      prefix: testRedis.prefix,
      provider,
      webhooks: dispatcher,
    });
    const accepted = await fixture.handler(
      new Request('http://gateway.test/v1/inference/images/jobs', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY_A}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/mock-image', prompt: 'hooked', webhook_url: url }),
      }),
    );
    expect(accepted.status).toBe(202);
    const { id } = (await accepted.json()) as { id: string };
    await waitForJob(fixture.handler, id, ['succeeded']);
    for (
      let attempt = 0;
      attempt < 400 && new Set(received.filter((r) => r.status === 200).map((r) => r.type)).size < 3;
      attempt++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(received.every((delivery) => delivery.verified)).toBe(true);
    const delivered = received.filter((delivery) => delivery.status === 200).map((delivery) => delivery.type);
    expect(delivered.sort()).toEqual(['job.completed', 'job.queued', 'job.started']);
    // The first event was answered 500 twice, then delivered under the same webhook-id.
    const first = received.filter((delivery) => delivery.id === received[0]!.id);
    expect(first.map((delivery) => delivery.status)).toEqual([500, 500, 200]);
    const view = (await waitForJob(fixture.handler, id, ['succeeded'])) as {
      webhook_deliveries: Array<{ status: number }>;
    };
    expect(view.webhook_deliveries.map((delivery) => delivery.status)).toEqual(
      expect.arrayContaining([500, 500, 200]),
    );
  });
});
