import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { createMemoryStorage, GatewayError } from '@pixelgate/core';
import { extensionFor } from '@pixelgate/core/provider-utils';
import type { CliConfig } from '../config.ts';
import { type CliGatewayOptions, createCliGateway } from '../gateway-from-config.ts';
import { type CliIo, EXIT } from '../io.ts';
import { startSpinner } from '../progress.ts';

/** Flags of `pixelgate generate`, already parsed and range-checked by the CLI. */
export interface GenerateCommandOptions {
  model?: string;
  size?: string;
  n?: number;
  quality?: string;
  seed?: number;
  /** Output format: png, jpeg or webp. */
  format?: string;
  /** Folder for the images (default `./pixelgate-output`). */
  out?: string;
  /** Submit a job to the configured Redis and follow it, instead of running the request here. */
  async?: boolean;
}

/** The generation body of a `generate` invocation (base64 back, since the CLI saves the bytes). */
export function generationBody(prompt: string, options: GenerateCommandOptions): Record<string, unknown> {
  return {
    prompt,
    ...(options.model ? { model: options.model } : {}),
    ...(options.size ? { size: options.size } : {}),
    ...(options.n === undefined ? {} : { n: options.n }),
    ...(options.quality ? { quality: options.quality } : {}),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.format ? { output_format: options.format } : {}),
    response_format: 'b64_json',
  };
}

/**
 * Exit code for a gateway error: a request the gateway refused as invalid (unknown model, a size
 * the model does not support) or a configuration mistake (a provider without its key) is 2; a
 * provider, storage or other failure is 1. Either way the line names the stable code, so scripts can branch on it.
 */
export function exitCodeFor(error: GatewayError): number {
  // A missing provider key is a configuration mistake, fixed the same way as a bad flag.
  if (error.code === 'CONFIGURATION_ERROR') return EXIT.usage;
  return error.status < 500 && error.code !== 'BACKEND_ERROR' && error.code !== 'RATE_LIMITED'
    ? EXIT.usage
    : EXIT.failure;
}

/**
 * The one line printed for a failed request: code, field, message; never a stack. The gateway's
 * messages point HTTP clients at `GET /v1/models`; a CLI user lists models with `pixelgate models`.
 */
export function formatGatewayError(error: GatewayError): string {
  const reason = typeof error.details?.reason === 'string' ? ` [${error.details.reason}]` : '';
  const message = error.message.replace(/GET \/v1\/models/g, '`pixelgate models`');
  return `pixelgate: ${error.code}${reason}${error.param ? ` (${error.param})` : ''}: ${message}\n`;
}

/**
 * `pixelgate generate "<prompt>"`: one request through the full pipeline (guardrails, budget,
 * storage, audit) with the configured providers; saves each image under its content hash, so
 * repeated runs never overwrite a different image, and prints path, size and sha256.
 */
export async function runGenerate(
  prompt: string,
  options: GenerateCommandOptions,
  config: CliConfig,
  io: CliIo,
  seams: Partial<Pick<CliGatewayOptions, 'providers' | 'storageAdapter' | 'auditSink'>> = {},
): Promise<number> {
  // The images are written to --out; a second copy in the data folder would only be clutter.
  const gateway = createCliGateway(config, {
    cwd: io.cwd,
    env: io.env,
    storageAdapter: createMemoryStorage(),
    ...seams,
  });
  const outDir = resolve(io.cwd, options.out ?? 'pixelgate-output');
  const controller = new AbortController();
  const stop = startSpinner(
    io.stderrIsTTY,
    io.stderr,
    `generating with ${options.model ?? gateway.config.defaultModel ?? 'the default model'}…`,
  );
  try {
    const result = await gateway.generate(generationBody(prompt, options), {
      source: 'cli',
      signal: controller.signal,
    });
    stop();
    await mkdir(outDir, { recursive: true });
    io.stdout(`model    ${result.model}\nrequest  ${result.requestId}\n`);
    for (const image of result.images) {
      const file = join(outDir, `${image.sha256.slice(0, 16)}.${extensionFor(image.mediaType)}`);
      await writeFile(file, image.bytes);
      const shown = relative(io.cwd, file) || file;
      const dims = image.width && image.height ? `${image.width}x${image.height} ` : '';
      io.stdout(
        `image    ${shown.startsWith('..') ? file : shown}\n         ${dims}${image.mediaType}, ${image.sizeBytes} bytes\n         sha256 ${image.sha256}\n`,
      );
    }
    for (const warning of result.warnings) io.stderr(`warning: ${warning.message}\n`);
    if (result.labels.length) io.stdout(`labels   ${result.labels.join(', ')}\n`);
    const usd = result.cost.actualUsd ?? result.cost.estimatedUsd;
    io.stdout(`cost     ${usd === undefined ? 'unknown' : `$${usd}`} (${result.cost.basis})\n`);
    return EXIT.ok;
  } catch (error) {
    stop();
    if (GatewayError.isInstance(error)) {
      io.stderr(formatGatewayError(error));
      return exitCodeFor(error);
    }
    io.stderr(`pixelgate: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.failure;
  } finally {
    await gateway.close();
  }
}
