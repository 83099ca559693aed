import { access, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyAuditLog } from '@pixelgate/core/audit';
import { afterAll, describe, expect, it } from 'vitest';
import { STACK_MODELS, type Stack, startStack } from './stack.ts';

describe('startStack with a kept data folder', () => {
  const started: Stack[] = [];
  let dataDir: string | undefined;
  afterAll(async () => {
    for (const stack of started) await stack.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  const generate = async (stack: Stack) => {
    const response = await fetch(`${stack.url}/v1/images/generations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
      body: JSON.stringify({ model: STACK_MODELS.stability, prompt: 'a quiet harbour', size: '1024x1024' }),
    });
    expect(response.status).toBe(200);
  };

  it('continues one verifiable hash chain across restarts with the same signing key', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'pixelgate-full-stack-kept-'));
    const first = await startStack({ dataDir });
    started.push(first);
    await generate(first);
    await first.close();

    const second = await startStack({ dataDir });
    started.push(second);
    expect(second.audit.publicKeyPem).toBe(first.audit.publicKeyPem);
    expect(await readFile(join(second.audit.dir, 'audit-public-key.pem'), 'utf8')).toBe(
      second.audit.publicKeyPem,
    );
    await generate(second);
    await second.close();

    // Closed: every record is covered by a signed checkpoint, and the folder is still there.
    const verification = await verifyAuditLog(join(dataDir, 'audit'), {
      publicKeys: [first.audit.publicKeyPem],
    });
    expect(verification.firstBroken).toBeUndefined();
    expect(verification).toMatchObject({ ok: true, records: 2 });
    await access(join(dataDir, 'audit-signing-key.pem'));
  });
});
