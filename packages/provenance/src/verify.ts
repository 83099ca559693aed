import type { WasmReader } from '@contentauth/c2pa-wasm';
import { sniffImage, validationError } from '@pixelgate/core/provider-utils';
import { PIXELGATE_ASSERTION } from './c2pa/manifest-definition.ts';
import { type C2paModule, loadC2pa } from './c2pa/wasm.ts';
import { isProvenanceMediaType, PROVENANCE_MEDIA_TYPES } from './xmp/embed-xmp.ts';

/** Trusted: valid and chains to a trust anchor; Valid: intact but not trusted; Absent: no manifest. */
export type ProvenanceState = 'Trusted' | 'Valid' | 'Invalid' | 'Absent';

/** One validation finding, as C2PA names it (`assertion.dataHash.mismatch`, ...). */
export interface ProvenanceReason {
  code: string;
  explanation?: string;
  url?: string;
}

/** One action of the active manifest. */
export interface ProvenanceAction {
  action: string;
  digitalSourceType?: string;
  softwareAgent?: unknown;
  when?: string;
}

/** The active manifest, summarised for people and for the audit evidence. */
export interface ProvenanceManifestSummary {
  label: string;
  claimGenerator: unknown[];
  signer: { issuer?: string; commonName?: string; algorithm?: string; serialNumber?: string };
  actions: ProvenanceAction[];
  /** pixelgate's assertion (request id, model, audit sequence), when present. */
  generation?: Record<string, unknown>;
  ingredients: Array<{ title?: string; relationship?: string; activeManifest?: string }>;
}

/** The result of {@link verifyProvenance}. */
export interface ProvenanceVerification {
  state: ProvenanceState;
  mediaType: string;
  manifest?: ProvenanceManifestSummary;
  /** Failures that decided the state (empty when Trusted). */
  reasons: ProvenanceReason[];
}

/** Options of {@link verifyProvenance}. */
export interface VerifyOptions {
  /** PEM root certificates to trust (one or more concatenated). Without them, Trusted is impossible. */
  trustAnchors?: string;
}

type RawStatus = { code: string; explanation?: string; url?: string };
type RawManifest = {
  claim_generator_info?: unknown[];
  signature_info?: { issuer?: string; common_name?: string; alg?: string; cert_serial_number?: string };
  assertions?: Array<{ label: string; data: unknown }>;
  ingredients?: Array<{ title?: string; relationship?: string; active_manifest?: string }>;
};

/**
 * One PEM block per line group: the library reads only the first of two certificates pasted
 * together without a newline between them (`-----END CERTIFICATE----------BEGIN...`).
 */
function normalizeAnchors(pem: string): string {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw validationError('trustAnchors', 'The trust anchors hold no PEM CERTIFICATE block.');
  return `${blocks.join('\n')}\n`;
}

function readerContext(trustAnchors: string | undefined): string {
  const verify = {
    ocsp_fetch: false,
    remote_manifest_fetch: false,
    verify_trust: trustAnchors !== undefined,
  };
  return JSON.stringify(
    trustAnchors === undefined ? { verify } : { verify, trust: { trust_anchors: trustAnchors } },
  );
}

function summarise(label: string, manifest: RawManifest): ProvenanceManifestSummary {
  const assertions = manifest.assertions ?? [];
  const actions = assertions
    .filter((a) => a.label === 'c2pa.actions.v2' || a.label === 'c2pa.actions')
    .flatMap((a) => (a.data as { actions?: ProvenanceAction[] }).actions ?? [])
    .map(({ action, digitalSourceType, softwareAgent, when }) => ({
      action,
      digitalSourceType,
      softwareAgent,
      when,
    }));
  const generation = assertions.find((a) => a.label === PIXELGATE_ASSERTION)?.data as
    | Record<string, unknown>
    | undefined;
  const info = manifest.signature_info ?? {};
  return {
    label,
    claimGenerator: manifest.claim_generator_info ?? [],
    signer: {
      issuer: info.issuer,
      commonName: info.common_name,
      algorithm: info.alg,
      serialNumber: info.cert_serial_number,
    },
    actions,
    ...(generation ? { generation } : {}),
    ingredients: (manifest.ingredients ?? []).map((i) => ({
      title: i.title,
      relationship: i.relationship,
      activeManifest: i.active_manifest,
    })),
  };
}

async function readManifest(
  c2pa: C2paModule,
  bytes: Uint8Array,
  mediaType: string,
  options: VerifyOptions,
): Promise<ProvenanceVerification> {
  let reader: WasmReader;
  try {
    reader = await c2pa.WasmReader.fromBytes(mediaType, bytes, readerContext(options.trustAnchors));
  } catch (error) {
    const message = String(error);
    if (message.includes('JumbfNotFound')) return { state: 'Absent', mediaType, reasons: [] };
    return { state: 'Invalid', mediaType, reasons: [{ code: 'manifest.unreadable', explanation: message }] };
  }
  try {
    const store = JSON.parse(reader.json()) as {
      active_manifest?: string;
      manifests?: Record<string, RawManifest>;
      validation_state?: string;
      validation_results?: {
        activeManifest?: { failure?: RawStatus[] };
        ingredientDeltas?: Array<{ validationDeltas?: { failure?: RawStatus[] } }>;
      };
    };
    const label = store.active_manifest ?? '';
    const manifest = store.manifests?.[label];
    const state = (
      ['Trusted', 'Valid'].includes(store.validation_state ?? '') ? store.validation_state : 'Invalid'
    ) as ProvenanceState;
    // A parent ingredient's findings (say, a provider signer these anchors do not trust) decide the
    // state too, so they are reasons as well.
    const results = store.validation_results;
    const failures = [
      ...(results?.activeManifest?.failure ?? []),
      ...(results?.ingredientDeltas ?? []).flatMap((delta) => delta.validationDeltas?.failure ?? []),
    ];
    const reasons = failures
      .filter(
        (r) =>
          !(
            options.trustAnchors === undefined &&
            r.code === 'signingCredential.untrusted' &&
            state === 'Valid'
          ),
      )
      .map(({ code, explanation, url }) => ({ code, explanation, url }));
    return { state, mediaType, ...(manifest ? { manifest: summarise(label, manifest) } : {}), reasons };
  } finally {
    reader.free();
  }
}

/**
 * Reads and validates an image's C2PA manifest: signature, hashes of pixels and assertions,
 * certificate profile and, when trust anchors are given, the chain to one of them. A one-byte
 * change to the pixels or the manifest reads Invalid. Works offline (no OCSP, no remote manifest).
 * @throws GatewayError VALIDATION_ERROR when the bytes are not a PNG, JPEG or WebP image.
 */
export async function verifyProvenance(
  bytes: Uint8Array,
  options: VerifyOptions = {},
): Promise<ProvenanceVerification> {
  const mediaType = sniffImage(bytes)?.mediaType;
  if (mediaType === undefined || !isProvenanceMediaType(mediaType)) {
    throw validationError(
      'image',
      `The file is ${mediaType ?? 'not a recognised image'}; provenance can be verified on ${PROVENANCE_MEDIA_TYPES.join(', ')}.`,
    );
  }
  const anchors =
    options.trustAnchors === undefined ? {} : { trustAnchors: normalizeAnchors(options.trustAnchors) };
  return readManifest(loadC2pa(), bytes, mediaType, anchors);
}
