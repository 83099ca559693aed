import { createHash } from 'node:crypto';
import { GatewayError, type GenerationWarning, sniffImage } from '@pixelgate/core/provider-utils';
import { findExistingManifest } from './c2pa/existing-manifest.ts';
import { buildManifestDefinition, type ManifestFacts } from './c2pa/manifest-definition.ts';
import { createInlineSigner, createWorkerSigner, type ManifestSigner } from './c2pa/manifest-signer.ts';
import type { ParentIngredient } from './c2pa/sign-manifest.ts';
import { type C2paModule, loadC2pa } from './c2pa/wasm.ts';
import {
  type ProvenanceConfig,
  type ProvenanceConfigInput,
  type ProvenanceMode,
  provenanceConfigSchema,
} from './config.ts';
import { loadSignerCredentials, type SignerCredentials } from './credentials/signer-credentials.ts';
import { selfTest } from './self-test.ts';
import type { ProvenanceFacts, StampResult } from './stamp-result.ts';
import { embedXmp, isProvenanceMediaType, type ProvenanceMediaType } from './xmp/embed-xmp.ts';
import { buildXmpPacket } from './xmp/xmp-packet.ts';

/** Stamps images with provenance; created once at startup by {@link createProvenanceStamper}. */
export interface ProvenanceStamper {
  /** The mode that applies to a tenant. */
  modeFor(tenantId: string): ProvenanceMode;
  /** `sha256:<hex>` of the signer certificate, when signing is configured. */
  readonly signerFingerprint: string | undefined;
  /**
   * Marks (and, in `c2pa` mode, signs) one image. This must be the last change to the bytes.
   * @throws GatewayError PROVENANCE_FAILED-style INTERNAL_ERROR when it fails under `onFailure: 'fail'`.
   */
  stamp(image: Uint8Array, facts: ProvenanceFacts): Promise<StampResult>;
  /** Stops the signing workers, if any. */
  close(): Promise<void>;
}

/** Options that are code, not configuration. */
export interface ProvenanceStamperOptions {
  /** The clock (tests pin it); default `() => new Date()`. */
  now?: () => Date;
}

/** Why request-time provenance failed: a stable reason in the error's details. */
export const PROVENANCE_FAILED = 'provenance_failed';

function sha256(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function parseConfig(input: ProvenanceConfigInput): ProvenanceConfig {
  const parsed = provenanceConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const param = ['provenance', ...issue.path.map(String)].join('.');
  throw new GatewayError(
    'CONFIGURATION_ERROR',
    `Invalid provenance configuration at ${param}: ${issue.message}`,
    {
      param,
    },
  );
}

interface StampContext {
  config: ProvenanceConfig;
  c2pa: C2paModule;
  credentials: SignerCredentials | undefined;
  /** Signs manifests (inline or in workers); undefined without signing credentials. */
  signer: ManifestSigner | undefined;
  now: () => Date;
}

function manifestFacts(context: StampContext, facts: ProvenanceFacts, created: Date): ManifestFacts {
  const { include } = context.config;
  return {
    requestId: facts.requestId,
    model: facts.model,
    provider: facts.provider,
    created,
    ...(facts.auditSeq === undefined ? {} : { auditSeq: facts.auditSeq }),
    ...(include.tenant ? { tenantId: facts.tenantId } : {}),
    ...(include.prompt && facts.prompt !== undefined ? { prompt: facts.prompt } : {}),
  };
}

/** Finds the provider's manifest; one that cannot be kept becomes a warning and a label. */
async function parentOf(
  context: StampContext,
  image: Uint8Array,
  mediaType: ProvenanceMediaType,
  result: StampResult,
): Promise<ParentIngredient | undefined> {
  try {
    const existing = await findExistingManifest(context.c2pa, image, mediaType);
    if (!existing) return undefined;
    result.parentManifest = existing.label;
    return {
      bytes: image,
      mediaType,
      instanceId: `xmp.iid:parent-${existing.label.replace(/^urn:c2pa:/, '')}`,
    };
  } catch (error) {
    result.labels.push('provenance:parent_dropped');
    result.warnings.push({
      type: 'other',
      message: `The provider's C2PA manifest could not be read and is not kept as the parent ingredient: ${String(error)}`,
    });
    return undefined;
  }
}

async function applyC2pa(
  context: StampContext,
  original: Uint8Array,
  marked: Uint8Array,
  mediaType: ProvenanceMediaType,
  facts: ProvenanceFacts,
  created: Date,
  result: StampResult,
): Promise<void> {
  const credentials = context.credentials!;
  const signer = context.signer!;
  const parent = await parentOf(context, original, mediaType, result);
  const definition = buildManifestDefinition({
    facts: manifestFacts(context, facts, created),
    mediaType,
    softwareAgent: context.config.softwareAgent,
    ...(parent ? { parentIngredientId: parent.instanceId } : {}),
  });
  const signed = await signer.sign({ bytes: marked, mediaType }, definition, parent);
  result.bytes = signed.bytes;
  result.applied = 'c2pa';
  result.manifestHash = sha256(signed.manifestBytes);
  result.signerFingerprint = credentials.fingerprint;
}

async function stampImage(
  context: StampContext,
  image: Uint8Array,
  facts: ProvenanceFacts,
): Promise<StampResult> {
  const mode = context.config.tenants[facts.tenantId] ?? context.config.mode;
  const mediaType = sniffImage(image)?.mediaType ?? facts.mediaType ?? 'application/octet-stream';
  const result: StampResult = { bytes: image, mediaType, applied: 'off', warnings: [], labels: [] };
  if (mode === 'off') return result;
  if (!isProvenanceMediaType(mediaType)) {
    throw new Error(`${mediaType} images cannot carry provenance here (PNG, JPEG and WebP can)`);
  }
  const created = facts.created ?? context.now();
  const xmp = buildXmpPacket({
    model: facts.model,
    creatorTool: `${context.config.softwareAgent.name} ${context.config.softwareAgent.version}`,
    created,
  });
  const marked = embedXmp(image, mediaType, xmp);
  if (marked.replaced) {
    result.warnings.push({
      type: 'other',
      message: "The provider's XMP packet was replaced by pixelgate's marking.",
    });
  }
  result.bytes = marked.bytes;
  result.applied = 'xmp';
  if (mode === 'c2pa') {
    await applyC2pa(context, image, marked.bytes, mediaType, facts, created, result);
  }
  return result;
}

/** Applies the failure policy: refuse (default) or deliver unmarked with a warning and label. */
function onFailure(
  context: StampContext,
  image: Uint8Array,
  facts: ProvenanceFacts,
  error: unknown,
): StampResult {
  const reason = error instanceof Error ? error.message : String(error);
  if (context.config.onFailure === 'fail') {
    throw new GatewayError(
      'INTERNAL_ERROR',
      `Content provenance could not be applied, so the image is withheld: ${reason}`,
      {
        details: { reason: PROVENANCE_FAILED },
        cause: error,
      },
    );
  }
  const warning: GenerationWarning = {
    type: 'other',
    message: `Delivered without content provenance (operator policy deliver-unsigned): ${reason}`,
  };
  return {
    bytes: image,
    mediaType: sniffImage(image)?.mediaType ?? facts.mediaType ?? 'application/octet-stream',
    applied: 'off',
    warnings: [warning],
    labels: ['provenance:unsigned'],
  };
}

/**
 * Validates the configuration and the signer, initialises the WASM module and signs and reads
 * back a test image, all at startup: every misconfiguration is a CONFIGURATION_ERROR here, with the
 * reason, never a surprise on the first request.
 */
export async function createProvenanceStamper(
  input: ProvenanceConfigInput,
  options: ProvenanceStamperOptions = {},
): Promise<ProvenanceStamper> {
  const config = parseConfig(input);
  const now = options.now ?? (() => new Date());
  const credentials = config.signer ? loadSignerCredentials(config.signer, now()) : undefined;
  const c2pa = loadC2pa();
  if (credentials) await selfTest(c2pa, credentials, config);
  const signer = credentials
    ? config.workers > 0
      ? await createWorkerSigner(credentials, config.workers)
      : createInlineSigner(c2pa, credentials)
    : undefined;
  const context: StampContext = { config, c2pa, credentials, signer, now };
  return {
    close: async () => signer?.close(),
    signerFingerprint: credentials?.fingerprint,
    modeFor: (tenantId) => config.tenants[tenantId] ?? config.mode,
    async stamp(image, facts) {
      try {
        return await stampImage(context, image, facts);
      } catch (error) {
        return onFailure(context, image, facts, error);
      }
    },
  };
}
