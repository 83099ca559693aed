export type { SigningAlgorithm } from './c2pa/cose-sign.ts';
export { PIXELGATE_ASSERTION } from './c2pa/manifest-definition.ts';
export { loadC2pa } from './c2pa/wasm.ts';
export {
  type ProvenanceConfig,
  type ProvenanceConfigInput,
  type ProvenanceMode,
  type ProvenanceSigner,
  provenanceConfigSchema,
  provenanceModeSchema,
  provenanceSignerSchema,
} from './config.ts';
export {
  createDevelopmentCredentials,
  type DevelopmentCredentials,
  type DevelopmentCredentialsOptions,
} from './credentials/development-credentials.ts';
export { loadSignerCredentials, type SignerCredentials } from './credentials/signer-credentials.ts';
export {
  createProvenanceVerifyRoute,
  PROVENANCE_VERIFY_PATH,
  type ProvenanceVerifyRouteOptions,
  withProvenanceVerifyRoute,
} from './http/verify-route.ts';
export type { ProvenanceFacts, StampResult } from './stamp-result.ts';
export {
  createProvenanceStamper,
  PROVENANCE_FAILED,
  type ProvenanceStamper,
  type ProvenanceStamperOptions,
} from './stamper.ts';
export {
  DEVELOPMENT_CREDENTIAL_FILES,
  type DevelopmentCredentialFiles,
  loadOrCreateDevelopmentCredentials,
  type WrittenCredentials,
  writeDevelopmentCredentials,
} from './tools/development-credentials-files.ts';
export {
  loadProvenanceFileConfig,
  type ProvenanceFileConfig,
  provenanceFileConfigSchema,
} from './tools/file-config.ts';
export { formatVerification } from './tools/format-verification.ts';
export {
  type ProvenanceAction,
  type ProvenanceManifestSummary,
  type ProvenanceReason,
  type ProvenanceState,
  type ProvenanceVerification,
  type VerifyOptions,
  verifyProvenance,
} from './verify.ts';
export { isProvenanceMediaType, PROVENANCE_MEDIA_TYPES, type ProvenanceMediaType } from './xmp/embed-xmp.ts';
export { TRAINED_ALGORITHMIC_MEDIA } from './xmp/xmp-packet.ts';
