import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GatewayError } from '@pixelgate/core/provider-utils';
import {
  formatVerification,
  type SigningAlgorithm,
  verifyProvenance,
  writeDevelopmentCredentials,
} from '@pixelgate/provenance';
import { type CliIo, EXIT, UsageError } from '../io.ts';

/** Flags of `pixelgate provenance init`. */
export interface ProvenanceInitOptions {
  dir: string;
  algorithm?: SigningAlgorithm;
  force?: boolean;
}

/**
 * `pixelgate provenance init`: writes a development root CA, signer chain and key, and prints
 * the configuration that uses them. Exit 0 written, 2 when files exist and --force is not given.
 */
export async function runProvenanceInit(options: ProvenanceInitOptions, io: CliIo): Promise<number> {
  let written: Awaited<ReturnType<typeof writeDevelopmentCredentials>>;
  try {
    written = await writeDevelopmentCredentials(resolve(io.cwd, options.dir), {
      ...(options.algorithm ? { algorithm: options.algorithm } : {}),
      ...(options.force ? { force: true } : {}),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  io.stdout(`root CA (trust anchor for verifiers): ${written.root}\n`);
  io.stdout(`signer certificate chain: ${written.chain}\n`);
  io.stdout(`signer private key (0600): ${written.key}\n`);
  io.stdout(`signer fingerprint: ${written.fingerprint}\n`);
  io.stderr(
    'pixelgate: DEVELOPMENT credentials: never trust this root in production; configure your own key and chain there\n',
  );
  return EXIT.ok;
}

async function readInput(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new UsageError(
      `cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    );
  }
}

/**
 * `pixelgate provenance verify <file> [--trust root.pem]`: prints the validation state, the signer,
 * the actions and the reasons. Exit 0 when Trusted (or Valid without --trust), 1 otherwise, 2 for
 * a file that is not a PNG, JPEG or WebP image.
 */
export async function runProvenanceVerify(
  file: string,
  options: { trust?: string },
  io: CliIo,
): Promise<number> {
  const bytes = await readInput(resolve(io.cwd, file), 'image');
  const trustAnchors = options.trust
    ? (await readInput(resolve(io.cwd, options.trust), 'trust anchors')).toString('utf8')
    : undefined;
  let result: Awaited<ReturnType<typeof verifyProvenance>>;
  try {
    result = await verifyProvenance(bytes, trustAnchors === undefined ? {} : { trustAnchors });
  } catch (error) {
    if (GatewayError.isInstance(error) && error.code === 'VALIDATION_ERROR')
      throw new UsageError(error.message);
    throw error;
  }
  io.stdout(formatVerification(result, trustAnchors !== undefined));
  const ok = result.state === 'Trusted' || (result.state === 'Valid' && trustAnchors === undefined);
  return ok ? EXIT.ok : EXIT.failure;
}
