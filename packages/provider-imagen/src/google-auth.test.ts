import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BackendError, GatewayError } from '@pixelgate/core/provider-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callFor, contextFor, rejection } from './imagen.test-helpers.ts';
import { createGoogleImageProvider } from './imagen-provider.ts';
import { type FakeImagenServer, startFakeImagenServer } from './testing/index.ts';

let server: FakeImagenServer;
let directory: string;
beforeAll(async () => {
  server = await startFakeImagenServer();
  directory = mkdtempSync(join(tmpdir(), 'pixelgate-imagen-'));
});
afterAll(async () => {
  await server.close();
  rmSync(directory, { recursive: true, force: true });
});

describe('service-account tokens against a local token endpoint', () => {
  it('exchanges a signed assertion at the key token_uri (never Google) and caches the token', async () => {
    const key = server.createServiceAccountKey({ projectId: 'sa-project' });
    const seen: string[] = [];
    const p = createGoogleImageProvider({
      credentials: key,
      baseURL: server.url,
      fetch: (input, init) => {
        seen.push(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        return fetch(input, init);
      },
    });
    const before = server.tokensIssued;
    await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor());
    await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor());
    expect(server.tokensIssued - before).toBe(1);
    expect(seen.every((url) => url.startsWith(server.url))).toBe(true);
    expect(seen).toContain(server.tokenUri);
    // The project comes from the key when none is configured.
    expect(server.requests.at(-1)?.path).toContain('/projects/sa-project/');
  });

  it('shares one token request among concurrent first calls', async () => {
    const p = createGoogleImageProvider({
      credentials: server.createServiceAccountKey(),
      baseURL: server.url,
    });
    const before = server.tokensIssued;
    const results = await Promise.all(
      [0, 1, 2, 3, 4].map((index) =>
        p.generate(callFor(p, 'imagen-4.0-fast-generate-001', { prompt: `p${index}` }), contextFor()),
      ),
    );
    expect(results).toHaveLength(5);
    expect(server.tokensIssued - before).toBe(1);
  });

  it('refreshes a token that is within the refresh threshold of expiry', async () => {
    server.setTokenLifetime(60);
    try {
      // Default threshold is 5 minutes, so a 60-second token is refreshed on every use.
      const p = createGoogleImageProvider({
        credentials: server.createServiceAccountKey(),
        baseURL: server.url,
      });
      const before = server.tokensIssued;
      for (let index = 0; index < 3; index++)
        await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor());
      expect(server.tokensIssued - before).toBe(3);
      // With a 10-second threshold the same token lasts.
      const q = createGoogleImageProvider({
        credentials: JSON.stringify(server.createServiceAccountKey()),
        eagerRefreshThresholdMillis: 10_000,
        baseURL: server.url,
      });
      const middle = server.tokensIssued;
      for (let index = 0; index < 3; index++)
        await q.generate(callFor(q, 'imagen-4.0-fast-generate-001'), contextFor());
      expect(server.tokensIssued - middle).toBe(1);
    } finally {
      server.setTokenLifetime(3600);
    }
  });

  it('fetches a fresh token once when Vertex refuses the cached one (401)', async () => {
    const p = createGoogleImageProvider({
      credentials: server.createServiceAccountKey(),
      baseURL: server.url,
    });
    await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor());
    const before = server.tokensIssued;
    server.revokeAccessTokens();
    const result = await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor());
    expect(result.images).toHaveLength(1);
    expect(server.tokensIssued - before).toBe(1);
  });

  it('reads a key file lazily', async () => {
    const path = join(directory, 'key.json');
    const p = createGoogleImageProvider({ keyFilename: path, baseURL: server.url });
    writeFileSync(path, JSON.stringify(server.createServiceAccountKey()));
    expect((await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor())).images).toHaveLength(
      1,
    );
  });

  it('maps a refused assertion to upstream_auth without the private key, assertion or token in the error', async () => {
    const key = server.createServiceAccountKey();
    const impostor = server.createServiceAccountKey();
    // Same account name, wrong private key: the endpoint rejects the signature.
    const p = createGoogleImageProvider({
      credentials: { ...key, private_key: impostor.private_key },
      baseURL: server.url,
    });
    const modelRequestsBefore = server.requests.filter((request) => request.api === 'vertex').length;
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_auth');
    expect(error.message).toMatch(/Invalid JWT Signature/);
    const rendered = JSON.stringify([
      error.message,
      (error as unknown as GatewayError).toJSON(),
      String(error.cause ?? ''),
    ]);
    expect(rendered).not.toContain('PRIVATE KEY');
    expect(rendered).not.toMatch(/eyJ[A-Za-z0-9_-]{20,}/); // no JWT assertion
    expect(server.requests.filter((request) => request.api === 'vertex')).toHaveLength(modelRequestsBefore);
  });

  it('maps a failing token endpoint to upstream_auth', async () => {
    const p = createGoogleImageProvider({
      credentials: server.createServiceAccountKey(),
      baseURL: server.url,
    });
    server.failNextTokenRequest(400);
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_auth');
    expect(error.retryable).toBe(false);
    // The next call tries again and succeeds.
    expect((await p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor())).images).toHaveLength(
      1,
    );
  });

  it('maps an unreachable or failing token endpoint to retryable upstream_unavailable', async () => {
    const p = createGoogleImageProvider({
      credentials: server.createServiceAccountKey(),
      baseURL: server.url,
    });
    // google-auth-library retries a failing token POST itself (3 retries), so fail all four tries.
    server.failNextTokenRequest(503);
    server.failNextTokenRequest(503);
    server.failNextTokenRequest(503);
    server.failNextTokenRequest(503);
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_unavailable');
    expect(error.retryable).toBe(true);
    const key = server.createServiceAccountKey();
    const unreachable = createGoogleImageProvider({
      credentials: { ...key, token_uri: 'http://127.0.0.1:9/token' },
      baseURL: server.url,
    });
    const down = await rejection(
      unreachable.generate(callFor(unreachable, 'imagen-4.0-fast-generate-001'), contextFor()),
    );
    expect((down as unknown as BackendError).reason).toBe('upstream_unavailable');
    expect(down.message).not.toContain('PRIVATE KEY');
  });

  it('verify() obtains a token at startup, and fails clearly without one', async () => {
    const p = createGoogleImageProvider({
      credentials: server.createServiceAccountKey(),
      baseURL: server.url,
    });
    const before = server.tokensIssued;
    await p.verify?.();
    expect(server.tokensIssued - before).toBe(1);
    const broken = createGoogleImageProvider({
      credentials: { ...server.createServiceAccountKey(), client_email: 'nobody@x.iam' },
    });
    const error = await rejection(broken.verify!());
    expect((error as unknown as BackendError).reason).toBe('upstream_auth');
  });

  it('honours abort while waiting for a token', async () => {
    const p = createGoogleImageProvider({
      credentials: server.createServiceAccountKey(),
      baseURL: server.url,
    });
    const controller = new AbortController();
    controller.abort();
    const error = await rejection(
      p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor({ signal: controller.signal })),
    );
    expect(GatewayError.isInstance(error) && error.code).toBe('ABORTED');
  });

  it('rejects unreadable credentials as CONFIGURATION_ERROR', async () => {
    const p = createGoogleImageProvider({ credentials: '{not json', project: 'x', baseURL: server.url });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-fast-generate-001'), contextFor()));
    expect(GatewayError.isInstance(error) && error.code).toBe('CONFIGURATION_ERROR');
    const missing = createGoogleImageProvider({
      keyFilename: join(directory, 'absent.json'),
      project: 'x',
      baseURL: server.url,
    });
    const fileError = await rejection(
      missing.generate(callFor(missing, 'imagen-4.0-fast-generate-001'), contextFor()),
    );
    expect(GatewayError.isInstance(fileError) && fileError.code).toBe('CONFIGURATION_ERROR');
  });
});

describe('caller-supplied access tokens', () => {
  let tokenServer: FakeImagenServer;
  const token = 'ya29.caller-supplied-token-0001';
  beforeAll(async () => {
    tokenServer = await startFakeImagenServer({ staticAccessTokens: [token] });
  });
  afterAll(async () => {
    await tokenServer.close();
  });

  it('calls the function per request and sends its token as a bearer token', async () => {
    let calls = 0;
    const p = createGoogleImageProvider({
      project: 'p',
      baseURL: tokenServer.url,
      accessToken: async () => {
        calls++;
        return token;
      },
    });
    await p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor());
    await p.generate(callFor(p, 'gemini-3-pro-image'), contextFor());
    expect(calls).toBe(2);
    expect(tokenServer.requests.every((request) => request.api !== 'token')).toBe(true);
  });

  it('maps a token the server refuses to upstream_auth, without the token', async () => {
    const wrong = 'ya29.caller-token-that-is-wrong';
    const p = createGoogleImageProvider({
      project: 'p',
      baseURL: tokenServer.url,
      accessToken: async () => wrong,
    });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_auth');
    expect((error as unknown as BackendError).upstreamStatus).toBe(401);
    expect(JSON.stringify([error.message, (error as unknown as GatewayError).toJSON()])).not.toContain(wrong);
  });

  it('maps a throwing token function to upstream_auth without its message', async () => {
    const p = createGoogleImageProvider({
      project: 'p',
      baseURL: tokenServer.url,
      accessToken: async () => {
        throw new Error('vault said: secret-material-xyz');
      },
    });
    const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
    expect((error as unknown as BackendError).reason).toBe('upstream_auth');
    expect(error.message).not.toContain('secret-material-xyz');
  });

  it('uses a tenant token from context.credentials over the configured source', async () => {
    const p = createGoogleImageProvider({
      project: 'p',
      baseURL: tokenServer.url,
      accessToken: async () => 'ya29.not-valid-here',
    });
    const result = await p.generate(
      callFor(p, 'imagen-4.0-generate-001'),
      contextFor({ credentials: { accessToken: token } }),
    );
    expect(result.images).toHaveLength(1);
  });

  it('needs a project: CONFIGURATION_ERROR naming GOOGLE_CLOUD_PROJECT', async () => {
    const saved = process.env.GOOGLE_CLOUD_PROJECT;
    delete process.env.GOOGLE_CLOUD_PROJECT;
    try {
      const p = createGoogleImageProvider({
        api: 'vertex',
        baseURL: tokenServer.url,
        accessToken: async () => token,
      });
      const error = await rejection(p.generate(callFor(p, 'imagen-4.0-generate-001'), contextFor()));
      expect(GatewayError.isInstance(error) && error.code).toBe('CONFIGURATION_ERROR');
      expect(error.message).toContain('GOOGLE_CLOUD_PROJECT');
    } finally {
      if (saved !== undefined) process.env.GOOGLE_CLOUD_PROJECT = saved;
    }
  });
});
