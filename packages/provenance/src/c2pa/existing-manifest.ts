import type { WasmReader } from '@contentauth/c2pa-wasm';
import type { C2paModule } from './wasm.ts';

/** "c2pa": the JUMBF label every C2PA manifest store carries, in every container. */
const C2PA_LABEL = Uint8Array.of(0x63, 0x32, 0x70, 0x61);

/** The provider's manifest found in an image. */
export interface ExistingManifest {
  /** The active manifest's label (`urn:c2pa:...`). */
  label: string;
}

/**
 * Finds a C2PA manifest already in the image (OpenAI's images carry one). A byte scan for the
 * JUMBF label rules out most images in microseconds; only a hit pays for the library's parse. An
 * image whose store cannot be parsed is reported by the caller as a dropped parent.
 */
export async function findExistingManifest(
  c2pa: C2paModule,
  bytes: Uint8Array,
  mediaType: string,
): Promise<ExistingManifest | undefined> {
  if (Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(C2PA_LABEL) < 0) return undefined;
  let reader: WasmReader;
  try {
    reader = await c2pa.WasmReader.fromBytes(
      mediaType,
      bytes,
      JSON.stringify({ verify: { verify_after_reading: false } }),
    );
  } catch (error) {
    if (String(error).includes('JumbfNotFound')) return undefined;
    throw error;
  }
  try {
    const label = reader.activeLabel();
    return label === undefined ? undefined : { label };
  } finally {
    reader.free();
  }
}
