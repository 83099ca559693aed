import { z } from 'zod';

/**
 * What pixelgate does to an image before it is stored and delivered:
 * - `off`: nothing;
 * - `xmp`: IPTC digital source type and model in an XMP packet (unsigned marking);
 * - `c2pa`: the XMP packet plus a signed C2PA manifest (Content Credentials).
 */
export const provenanceModeSchema = z.enum(['off', 'xmp', 'c2pa']);
/** One of the provenance modes. */
export type ProvenanceMode = z.infer<typeof provenanceModeSchema>;

/** The operator's signing key and certificate chain, as PEM text (never logged or echoed). */
export const provenanceSignerSchema = z.strictObject({
  /** The signer certificate first, then intermediates; the root stays out (verifiers hold it). */
  certificateChainPem: z.string().min(1),
  /** PKCS#8 (or SEC1 for P-256) private key matching the signer certificate: P-256 or Ed25519. */
  privateKeyPem: z.string().min(1),
});
/** Signing credentials. */
export type ProvenanceSigner = z.infer<typeof provenanceSignerSchema>;

/** Configuration of the provenance stage, validated once at startup. */
export const provenanceConfigSchema = z
  .strictObject({
    /** The mode for every tenant without its own entry in `tenants`. */
    mode: provenanceModeSchema.default('c2pa'),
    /** Per-tenant modes, by tenant id. */
    tenants: z.record(z.string(), provenanceModeSchema).default({}),
    /**
     * When marking or signing fails at request time: `fail` (default) refuses to deliver an
     * unmarked image; `deliver-unsigned` delivers it with a warning and an audit label.
     */
    onFailure: z.enum(['fail', 'deliver-unsigned']).default('fail'),
    signer: provenanceSignerSchema.optional(),
    /**
     * Root certificates (PEM) the startup self-test must reach. When given, a signature that does
     * not chain to one of them is a CONFIGURATION_ERROR at startup.
     */
    trustAnchorsPem: z.string().min(1).optional(),
    /**
     * Worker threads that sign (each with its own WASM instance). 0 (default) signs on the calling
     * thread; 1-2 keep hashing of large images off the event loop on a multi-core host.
     */
    workers: z.number().int().min(0).max(16).default(0),
    /** What the manifest may carry beyond the request id: both off by default (privacy). */
    include: z
      .strictObject({ prompt: z.boolean().default(false), tenant: z.boolean().default(false) })
      .default({ prompt: false, tenant: false }),
    /** Name and version written as the claim generator and software agent. */
    softwareAgent: z
      .strictObject({ name: z.string().min(1), version: z.string().min(1) })
      .default({ name: 'pixelgate', version: '0.1.0' }),
  })
  .superRefine((config, context) => {
    const signs = config.mode === 'c2pa' || Object.values(config.tenants).includes('c2pa');
    if (signs && !config.signer) {
      context.addIssue({
        code: 'custom',
        path: ['signer'],
        message:
          "mode 'c2pa' needs a signer: { certificateChainPem, privateKeyPem } (`pixelgate provenance init` makes development ones)",
      });
    }
  });
/** Provenance configuration as written by the operator. */
export type ProvenanceConfigInput = z.input<typeof provenanceConfigSchema>;
/** Provenance configuration after validation and defaults. */
export type ProvenanceConfig = z.infer<typeof provenanceConfigSchema>;
