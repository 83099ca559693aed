import { createMemoryStorage, type Gateway, type ModelDescriptor } from '@pixelgate/core';
import { qualifiedModelId } from '@pixelgate/core/spec';
import type { CliConfig } from '../config.ts';
import { type CliGatewayOptions, createCliGateway } from '../gateway-from-config.ts';
import { type CliIo, EXIT } from '../io.ts';

/** Flags of `pixelgate models`. */
export interface ModelsCommandOptions {
  /** Print the descriptors as JSON instead of a table. */
  json?: boolean;
  /** Only this provider's models. */
  provider?: string;
}

function money(usd: number): string {
  return `$${Number(usd.toFixed(4))}`;
}

/** The sizes a model accepts, in one short cell: listed sizes, a size rule, ratios. */
export function describeSizes(model: ModelDescriptor): string {
  const { sizes, sizeRule, aspectRatios } = model.capabilities;
  const parts: string[] = [];
  if (sizes.length)
    parts.push(sizes.length > 4 ? `${sizes.slice(0, 3).join(' ')} +${sizes.length - 3}` : sizes.join(' '));
  if (sizeRule)
    parts.push(
      `${sizeRule.minSide}-${sizeRule.maxSide}px${sizeRule.multipleOf > 1 ? ` ×${sizeRule.multipleOf}` : ''}`,
    );
  const ratios = Object.keys(aspectRatios);
  if (ratios.length)
    parts.push(
      ratios.length > 5 ? `${ratios.slice(0, 4).join(' ')} +${ratios.length - 4} ratios` : ratios.join(' '),
    );
  return parts.join('; ') || '-';
}

/** A model's price in one cell: the per-image range, else token prices, else `unknown` (never `$0`). */
export function describePrice(model: ModelDescriptor): string {
  const rows = model.pricing?.perImage ?? [];
  if (rows.length) {
    const values = rows.map((row) => row.usd);
    const low = Math.min(...values);
    const high = Math.max(...values);
    return low === high ? `${money(low)}/image` : `${money(low)}-${money(high)}/image`;
  }
  const tokens = model.pricing?.tokens;
  if (tokens?.outputImagePerMillion !== undefined)
    return `${money(tokens.outputImagePerMillion)}/M image tokens`;
  return 'unknown';
}

function status(model: ModelDescriptor): string {
  const { lifecycle } = model;
  if (lifecycle.status === 'deprecated' && lifecycle.retiresOn)
    return `deprecated (retires ${lifecycle.retiresOn})`;
  return lifecycle.status;
}

/** Lays out rows as aligned columns, the header underlined. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n')}\n`;
}

/** The table `pixelgate models` prints, for a gateway's models. */
export function modelsTable(models: ModelDescriptor[]): string {
  const header = ['MODEL', 'PROVIDER', 'STATUS', 'SIZES / RATIOS', 'N/CALL', 'QUALITIES', 'PRICE'];
  const rows = models.map((model) => [
    qualifiedModelId(model),
    model.provider,
    status(model),
    describeSizes(model),
    String(model.capabilities.maxImagesPerCall),
    model.capabilities.qualities.join(' ') || '-',
    describePrice(model),
  ]);
  return formatTable(header, rows);
}

/**
 * `pixelgate models`: what the configured gateway can serve, so an operator sees at a glance which
 * providers are enabled and what each model accepts before sending a request.
 */
export async function runModels(
  options: ModelsCommandOptions,
  config: CliConfig,
  io: CliIo,
  seams: Partial<Pick<CliGatewayOptions, 'providers'>> = {},
): Promise<number> {
  let gateway: Gateway | undefined;
  try {
    gateway = createCliGateway(config, {
      cwd: io.cwd,
      env: io.env,
      storageAdapter: createMemoryStorage(),
      ...seams,
    });
    const models = gateway
      .listModels()
      .filter((model) => !options.provider || model.provider === options.provider);
    if (options.json) io.stdout(`${JSON.stringify(models, null, 2)}\n`);
    else if (models.length === 0)
      io.stderr(`pixelgate: no models${options.provider ? ` from provider ${options.provider}` : ''}\n`);
    else io.stdout(modelsTable(models));
    return models.length === 0 && options.provider ? EXIT.usage : EXIT.ok;
  } finally {
    await gateway?.close();
  }
}
