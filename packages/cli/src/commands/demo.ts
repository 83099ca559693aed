import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createFilesystemStorage,
  createGateway,
  GatewayError,
  type ImageProvider,
  MemoryAuditSink,
} from '@pixelgate/core';
import { extensionFor } from '@pixelgate/core/provider-utils';
import {
  createProvenanceStamper,
  loadOrCreateDevelopmentCredentials,
  verifyProvenance,
} from '@pixelgate/provenance';
import { createLocalProvider } from '@pixelgate/provider-local';
import { startSpinner } from '../progress.ts';

/** Where the demo writes and how it talks (injected so tests can run it in-process). */
export interface DemoOptions {
  /** Folder for the saved images (default `./pixelgate-output`). */
  outDir?: string;
  /** Folder for the gateway's filesystem storage (default `./pixelgate-data`). */
  dataDir?: string;
  model?: string;
  size?: string;
  n?: number;
  seed?: number;
  /** Extra providers to register (real ones when their keys are set). */
  providers?: ImageProvider[];
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Show a spinner on stderr (default: when stderr is a terminal). */
  progress?: boolean;
}

/**
 * Runs one prompt through the whole pipeline on the embedded defaults: the offline local provider
 * (plus any real provider passed in), filesystem storage, the default guardrails, and an in-memory
 * audit sink whose record is printed. Returns the process exit code: 0 on success, 2 for a
 * request the gateway refused as invalid, 1 for any other failure.
 */
export async function runDemo(prompt: string, options: DemoOptions = {}): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => process.stderr.write(text));
  const audit = new MemoryAuditSink();
  const outDir = resolve(options.outDir ?? 'pixelgate-output');
  const dataDir = resolve(options.dataDir ?? 'pixelgate-data');
  // Every demo image carries Content Credentials, signed with development keys kept in the data dir.
  const keys = await loadOrCreateDevelopmentCredentials(join(dataDir, 'provenance'));
  const provenance = await createProvenanceStamper({
    signer: { certificateChainPem: keys.certificateChainPem, privateKeyPem: keys.privateKeyPem },
    trustAnchorsPem: keys.rootCertificatePem,
  });
  const gateway = createGateway({
    providers: [createLocalProvider({ latencyMs: 150 }), ...(options.providers ?? [])],
    defaultModel: options.model ?? 'local/placeholder',
    storageAdapter: createFilesystemStorage({ root: dataDir }),
    auditSink: audit,
    provenance,
  });
  const stop = startSpinner(options.progress ?? Boolean(process.stderr.isTTY), stderr, 'generating…');
  try {
    const result = await gateway.generate({
      prompt,
      ...(options.size ? { size: options.size } : {}),
      ...(options.n ? { n: options.n } : {}),
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      response_format: 'b64_json',
    });
    stop();
    await mkdir(outDir, { recursive: true });
    stdout(`model      ${result.model}\nrequest    ${result.requestId}\n`);
    for (const image of result.images) {
      const file = join(outDir, `${image.sha256.slice(0, 16)}.${extensionFor(image.mediaType)}`);
      await writeFile(file, image.bytes);
      stdout(
        `image      ${file}\n           ${image.width}x${image.height} ${image.mediaType}, ${image.sizeBytes} bytes, sha256 ${image.sha256}\n`,
      );
      const check = await verifyProvenance(image.bytes, { trustAnchors: keys.rootCertificatePem });
      stdout(
        `           content credentials: ${check.state} (${check.manifest?.actions[0]?.action ?? 'none'}, development key); check with: pixelgate provenance verify ${file} --trust ${keys.root}\n`,
      );
    }
    for (const warning of result.warnings) stdout(`warning    ${warning.message}\n`);
    if (result.labels.length) stdout(`labels     ${result.labels.join(', ')}\n`);
    stdout(
      `cost       ${result.cost.actualUsd === undefined ? 'unknown' : `$${result.cost.actualUsd}`} (${result.cost.basis})\n`,
    );
    stdout(`audit      ${JSON.stringify(audit.records[0], null, 2).replaceAll('\n', '\n           ')}\n`);
    return 0;
  } catch (error) {
    stop();
    if (GatewayError.isInstance(error)) {
      stderr(`pixelgate: ${error.code}${error.param ? ` (${error.param})` : ''}: ${error.message}\n`);
      return error.status < 500 && error.code !== 'BACKEND_ERROR' ? 2 : 1;
    }
    stderr(`pixelgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await gateway.close();
    await provenance.close();
  }
}
