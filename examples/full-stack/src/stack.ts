import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_ROUTE_DOCS, createConsoleHandler, fileAuditReader } from '@pixelgate/console';
import {
  type ApiKeyEntry,
  type BudgetRuleInput,
  createApiKeyAuthenticator,
  createBlocklistGuardrail,
  createDefaultGuardrails,
  createFileAuditSink,
  createGateway,
  createHttpHandler,
  createMemoryBudgetStore,
  createMemoryRateLimitStore,
  type FetchHandler,
  type GatewayOptions,
  type RateLimitRuleInput,
} from '@pixelgate/core';
import { listen } from '@pixelgate/node';
import { createBedrockProvider } from '@pixelgate/provider-bedrock';
import {
  FAKE_BEDROCK_CREDENTIALS,
  type FakeBedrockServer,
  startFakeBedrockServer,
} from '@pixelgate/provider-bedrock/testing';
import { createBflProvider } from '@pixelgate/provider-bfl';
import { type FakeBflServer, startFakeBflServer } from '@pixelgate/provider-bfl/testing';
import { createFalProvider } from '@pixelgate/provider-fal';
import { type FakeFalServer, startFakeFalServer } from '@pixelgate/provider-fal/testing';
import { createGoogleImageProvider } from '@pixelgate/provider-imagen';
import { type FakeImagenServer, startFakeImagenServer } from '@pixelgate/provider-imagen/testing';
import { createOpenAIProvider } from '@pixelgate/provider-openai';
import {
  FAKE_OPENAI_API_KEY,
  type FakeOpenAIServer,
  startFakeOpenAIServer,
} from '@pixelgate/provider-openai/testing';
import { createStabilityProvider } from '@pixelgate/provider-stability';
import { type FakeStabilityServer, startFakeStabilityServer } from '@pixelgate/provider-stability/testing';
import { createS3Storage } from '@pixelgate/storage-s3';
import S3rver from 's3rver';

/** The models the stack is built around, provider-qualified. */
export const STACK_MODELS = Object.freeze({
  openai: 'openai/gpt-image-1.5',
  stability: 'stability/sd3.5-large',
  google: 'google/gemini-3-pro-image',
});

/** Submit-and-poll and AWS providers the stack also routes to (kept apart from the three above). */
export const MORE_STACK_MODELS = Object.freeze({
  bfl: 'bfl/flux-pro-1.1',
  fal: 'fal/fal-ai/flux/dev',
  bedrock: 'bedrock/amazon.nova-canvas-v1:0',
});

/** The keys the fake BFL and fal servers accept (their defaults). */
const FAKE_BFL_API_KEY = 'bfl-test-key';
const FAKE_FAL_KEY = 'fal-test-key';

/** The key the fake Stability server accepts (its default). */
const FAKE_STABILITY_API_KEY = 'sk-test-stability-fake-key';
const BUCKET = 'pixelgate-images';
/** Where the second handler (presigned S3 URLs instead of proxy tokens) is mounted. */
const DIRECT_PREFIX = '/direct';

/** Options of {@link startStack}. */
export interface StackOptions {
  /** Interface to listen on (default 127.0.0.1: nothing here is meant for the open network). */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /**
   * Folder for the audit log, its signing key and s3rver's objects, kept after `close()` (default:
   * a temp folder removed on close). Reusing it continues the same hash chain with the same key.
   */
  dataDir?: string;
}

/** The callers the stack knows, one API key each (random per start). */
export interface StackKeys {
  /** Tenant `acme`, the app's own key: generous limits. */
  main: string;
  /** Tenant `globex`: another customer, whose media tokens `acme` must not read and vice versa. */
  otherTenant: string;
  /** Tenant `trial`: a $0.10 daily budget. */
  trial: string;
  /** Tenant `acme`, user `intern`: at most 2 requests a minute. */
  intern: string;
}

/** A running stack. */
export interface Stack {
  /** `http://127.0.0.1:<port>`; OpenAI SDKs use `${url}/v1`, presigned delivery `${url}/direct/v1`. */
  url: string;
  /** The main tenant's key (same as `keys.main`). */
  apiKey: string;
  keys: StackKeys;
  /** The fake upstream servers, so tests can queue failures. */
  fakes: {
    openai: FakeOpenAIServer;
    stability: FakeStabilityServer;
    google: FakeImagenServer;
    bfl: FakeBflServer;
    fal: FakeFalServer;
    bedrock: FakeBedrockServer;
  };
  /**
   * The hash-chained log: its directory (with `audit-public-key.pem` beside the records, where
   * `pixelgate audit verify <dir>` looks), the key that verifies it, and a flush that signs a checkpoint.
   */
  audit: { dir: string; publicKeyPem: string; flush(): Promise<void> };
  /** Where the audit log, signing key and stored objects live. */
  dataDir: string;
  /** The S3-compatible store images go to. */
  s3: { endpoint: string; bucket: string };
  /** Every secret the stack holds (API keys, upstream keys, signing secrets): none may appear in logs or records. */
  secrets: string[];
  /** Stops everything and removes the temp directories; safe to call twice. */
  close(): Promise<void>;
}

/**
 * The checkpoint signing key of a kept data folder: read back on later starts, because a new key
 * would leave the earlier checkpoints unverifiable with the key printed now. Created (mode 0600)
 * only when the file does not exist yet.
 */
async function loadOrCreateSigningKey(file: string): Promise<KeyObject> {
  try {
    return createPrivateKey(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), {
    mode: 0o600,
    flag: 'wx',
  });
  return privateKey;
}

function newKey(): string {
  return `pg_${randomBytes(24).toString('base64url')}`;
}

/**
 * Boots the whole deployment offline: three provider plugins pointed at their fake servers, S3
 * storage on s3rver, a signed file audit log, budgets, rate limits, guardrails, API keys and a
 * fallback from OpenAI to Stability, served over HTTP. One function, so `npm start` and the tests
 * run exactly the same wiring. Two gateways share every part but differ in how image URLs are
 * delivered: the root handler hands out media-proxy tokens, `/direct` hands out S3 presigned URLs
 * (the delivery mode is a gateway-wide setting). Anything started before a failing step is
 * stopped again, so a failed start leaks no server or directory.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = [];
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const errors: unknown[] = [];
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          errors.push(error);
        }
      }
      if (errors.length > 0)
        throw new AggregateError(errors, 'Some parts of the stack did not stop cleanly.');
    })();
    return closing;
  };

  try {
    let dataDir: string;
    if (options.dataDir) {
      dataDir = options.dataDir;
      await mkdir(dataDir, { recursive: true });
    } else {
      const temp = await mkdtemp(join(tmpdir(), 'pixelgate-full-stack-'));
      cleanups.push(() => rm(temp, { recursive: true, force: true }));
      dataDir = temp;
    }

    // Upstreams: the three fake provider servers.
    const openaiFake = await startFakeOpenAIServer();
    cleanups.push(() => openaiFake.close());
    const stabilityFake = await startFakeStabilityServer();
    cleanups.push(() => stabilityFake.close());
    const googleFake = await startFakeImagenServer();
    cleanups.push(() => googleFake.close());
    const bflFake = await startFakeBflServer();
    cleanups.push(() => bflFake.close());
    const falFake = await startFakeFalServer();
    cleanups.push(() => falFake.close());
    const bedrockFake = await startFakeBedrockServer();
    cleanups.push(() => bedrockFake.close());

    // Storage: s3rver, a real S3-protocol server, on a random port with its own directory.
    const s3rver = new S3rver({
      address: '127.0.0.1',
      port: 0,
      silent: true,
      directory: join(dataDir, 's3'),
      configureBuckets: [{ name: BUCKET }],
    });
    const s3Address = await s3rver.run();
    cleanups.push(async () => {
      s3rver.httpServer?.closeAllConnections();
      await s3rver.close();
    });
    const s3Endpoint = `http://127.0.0.1:${s3Address.port}`;
    const storage = createS3Storage({
      bucket: BUCKET,
      prefix: 'pixelgate/',
      region: 'us-east-1',
      endpoint: s3Endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      // s3rver predates the SDK's flexible checksums (see @pixelgate/storage-s3's README).
      clientConfig: {
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      },
    });
    cleanups.push(async () => storage.dispose?.());
    await storage.verify();

    // Audit: hash-chained JSON lines with Ed25519-signed checkpoints.
    const auditDir = join(dataDir, 'audit');
    const privateKey = options.dataDir
      ? await loadOrCreateSigningKey(join(dataDir, 'audit-signing-key.pem'))
      : generateKeyPairSync('ed25519').privateKey;
    const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
    await mkdir(auditDir, { recursive: true });
    await writeFile(join(auditDir, 'audit-public-key.pem'), publicKeyPem);
    const auditSink = createFileAuditSink({ dir: auditDir, signingKey: privateKey });
    cleanups.push(() => auditSink.close());
    await auditSink.open();

    const keys: StackKeys = { main: newKey(), otherTenant: newKey(), trial: newKey(), intern: newKey() };
    const entries: ApiKeyEntry[] = [
      { id: 'acme-app', key: keys.main, tenantId: 'acme' },
      { id: 'globex-app', key: keys.otherTenant, tenantId: 'globex' },
      { id: 'trial-app', key: keys.trial, tenantId: 'trial' },
      { id: 'acme-intern', key: keys.intern, tenantId: 'acme', userId: 'intern' },
    ];
    const authenticate = createApiKeyAuthenticator({ keys: entries });

    const budgets: BudgetRuleInput[] = [
      { scope: 'tenant', period: 'day', limitUsd: 25 },
      { scope: 'tenant', id: 'trial', period: 'day', limitUsd: 0.1 },
    ];
    const rateLimits: RateLimitRuleInput[] = [
      { scope: 'tenant', unit: 'requests', limit: 120, windowMs: 60_000 },
      { scope: 'key', unit: 'images', limit: 100, windowMs: 60_000 },
      { scope: 'user', unit: 'requests', limit: 2, windowMs: 60_000 },
    ];
    const mediaSecret = randomBytes(32).toString('base64url');
    const shared: GatewayOptions = {
      providers: [
        createOpenAIProvider({ apiKey: FAKE_OPENAI_API_KEY, baseURL: openaiFake.baseURL }),
        createStabilityProvider({ apiKey: FAKE_STABILITY_API_KEY, baseURL: stabilityFake.url }),
        createGoogleImageProvider({ api: 'gemini', apiKey: googleFake.apiKey, baseURL: googleFake.url }),
        // Result images come from each fake's second server (its CDN), allowed by host:port.
        createBflProvider({
          apiKey: FAKE_BFL_API_KEY,
          baseURL: bflFake.url,
          resultHosts: [bflFake.cdnHost],
          pollIntervalMs: 50,
        }),
        createFalProvider({
          apiKey: FAKE_FAL_KEY,
          queueBaseURL: falFake.queueUrl,
          syncBaseURL: falFake.syncUrl,
          resultHosts: [falFake.cdnHost],
          pollIntervalMs: 50,
        }),
        createBedrockProvider({
          region: bedrockFake.region,
          endpoint: bedrockFake.url,
          credentials: { ...FAKE_BEDROCK_CREDENTIALS },
        }),
      ],
      defaultModel: STACK_MODELS.openai,
      storageAdapter: storage,
      auditSink,
      // One budget and one rate-limit store for both gateways: a tenant's spending and pace are counted once.
      budgetStore: createMemoryBudgetStore(),
      rateLimitStore: createMemoryRateLimitStore(),
      guardrails: [
        ...createDefaultGuardrails(),
        createBlocklistGuardrail({ categories: { weapons: { terms: ['weapon', 'pipe bomb'] } } }),
      ],
      dispatch: {
        timeoutMs: 60_000,
        retry: { maxRetries: 2, initialDelayMs: 250, maxDelayMs: 2_000 },
        fallbacks: { [STACK_MODELS.openai]: [STACK_MODELS.stability] },
      },
      budgets: { rules: budgets },
      rateLimits: { rules: rateLimits },
      audit: { promptRetention: 'redacted' },
      mediaSigningKeys: [{ id: 'media-1', secret: mediaSecret }],
    };
    const proxyGateway = createGateway({ ...shared, media: { mode: 'proxy', ttlSeconds: 900 } });
    cleanups.push(() => proxyGateway.close());
    const directGateway = createGateway({
      ...shared,
      media: { mode: 'presigned', ttlSeconds: 900, pathPrefix: DIRECT_PREFIX },
    });
    cleanups.push(() => directGateway.close());

    const proxyHandler = createHttpHandler(proxyGateway, {
      authenticate,
      extraRouteDocs: CONSOLE_ROUTE_DOCS,
    });
    const directHandler = createHttpHandler(directGateway, { authenticate });
    // The browser console (/console/) and the API reference (/docs), over the signed audit log.
    const consolePages = await createConsoleHandler({
      gateway: proxyGateway,
      authenticate,
      auditReader: fileAuditReader({ directory: auditDir, publicKeys: [publicKeyPem] }),
    });
    const handler: FetchHandler = async (request) =>
      new URL(request.url).pathname.startsWith(`${DIRECT_PREFIX}/`)
        ? directHandler(request)
        : ((await consolePages(request)) ?? proxyHandler(request));
    const server = await listen(handler, { host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    // First to stop: no new requests while the rest shuts down.
    cleanups.push(() => server.close());

    return {
      url: server.url,
      apiKey: keys.main,
      keys,
      fakes: {
        openai: openaiFake,
        stability: stabilityFake,
        google: googleFake,
        bfl: bflFake,
        fal: falFake,
        bedrock: bedrockFake,
      },
      audit: {
        dir: auditDir,
        publicKeyPem,
        flush: () => auditSink.flush(),
      },
      s3: { endpoint: s3Endpoint, bucket: BUCKET },
      dataDir,
      secrets: [
        ...Object.values(keys),
        FAKE_OPENAI_API_KEY,
        FAKE_STABILITY_API_KEY,
        googleFake.apiKey,
        FAKE_BFL_API_KEY,
        FAKE_FAL_KEY,
        FAKE_BEDROCK_CREDENTIALS.secretAccessKey,
        mediaSecret,
      ],
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
