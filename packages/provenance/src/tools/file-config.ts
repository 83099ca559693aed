import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { GatewayError } from '@pixelgate/core/provider-utils';
import { z } from 'zod';
import { type ProvenanceConfigInput, provenanceModeSchema } from '../config.ts';

/**
 * The provenance section of a JSON configuration file: the same settings as
 * `createProvenanceStamper`, with PEM file paths instead of PEM text (keys stay out of config
 * files), relative to the configuration file's folder.
 */
export const provenanceFileConfigSchema = z.strictObject({
  mode: provenanceModeSchema.optional(),
  tenants: z.record(z.string(), provenanceModeSchema).optional(),
  onFailure: z.enum(['fail', 'deliver-unsigned']).optional(),
  /** Signer certificate chain (leaf first), PEM file. */
  certificateChainFile: z.string().min(1).optional(),
  /** Signer private key, PEM file (keep it 0600). */
  privateKeyFile: z.string().min(1).optional(),
  /** Root certificates the startup self-test and `POST /v1/provenance/verify` trust, PEM file. */
  trustAnchorsFile: z.string().min(1).optional(),
  include: z.strictObject({ prompt: z.boolean().optional(), tenant: z.boolean().optional() }).optional(),
  workers: z.number().int().min(0).max(16).optional(),
});
/** The provenance section of a configuration file. */
export type ProvenanceFileConfig = z.infer<typeof provenanceFileConfigSchema>;

async function readPem(baseDir: string, file: string, field: string): Promise<string> {
  const path = resolve(baseDir, file);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new GatewayError('CONFIGURATION_ERROR', `Cannot read provenance.${field} ${path} (${code}).`, {
      param: `provenance.${field}`,
    });
  }
}

/**
 * Reads the PEM files a file configuration names and returns the stamper configuration. Both
 * signer files or neither: one without the other is a CONFIGURATION_ERROR naming the missing one.
 */
export async function loadProvenanceFileConfig(
  config: ProvenanceFileConfig,
  baseDir: string,
): Promise<ProvenanceConfigInput> {
  const { certificateChainFile, privateKeyFile, trustAnchorsFile, ...rest } = config;
  if ((certificateChainFile === undefined) !== (privateKeyFile === undefined)) {
    const missing = certificateChainFile === undefined ? 'certificateChainFile' : 'privateKeyFile';
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `provenance.${missing} is missing: a signer needs both the chain and the key.`,
      {
        param: `provenance.${missing}`,
      },
    );
  }
  const input: ProvenanceConfigInput = { ...rest };
  if (certificateChainFile && privateKeyFile) {
    input.signer = {
      certificateChainPem: await readPem(baseDir, certificateChainFile, 'certificateChainFile'),
      privateKeyPem: await readPem(baseDir, privateKeyFile, 'privateKeyFile'),
    };
  }
  if (trustAnchorsFile) input.trustAnchorsPem = await readPem(baseDir, trustAnchorsFile, 'trustAnchorsFile');
  return input;
}
