import { type GatewayError, validationError } from '../errors/gateway-error.ts';
import type { ModelDescriptor, SizeRule } from '../models/model-descriptor.ts';
import type { ProviderCall } from '../provider/image-provider.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import type { ImageRequest } from '../request/image-request.ts';
import {
  formatSize,
  type PixelSize,
  parseAspectRatio,
  parseSize,
  ratioDistance,
  ratioValue,
  reduceRatio,
} from '../shared/image-size.ts';

/**
 * What happens to a value the model does not support: `strict` refuses the request and says what
 * is allowed; `coerce` uses the nearest supported value and reports the change as a warning.
 */
export type CapabilityPolicy = 'strict' | 'coerce';

/** A request checked against one model: the call to make (for all `n` images) and the warnings. */
export interface CapabilityResult {
  call: Omit<ProviderCall, 'providerOptions'>;
  warnings: GenerationWarning[];
}

/** Quality names that mean roughly the same across model families, for `coerce`. */
const QUALITY_EQUIVALENTS: Record<string, string[]> = {
  standard: ['medium', 'auto', 'low'],
  hd: ['high'],
  high: ['hd'],
  medium: ['standard'],
  low: ['standard'],
  auto: ['standard', 'medium'],
};

function list(values: readonly string[]): string {
  return values.map((v) => `'${v}'`).join(', ');
}

function describeRule(rule: SizeRule): string {
  const parts = [`sides ${rule.minSide}-${rule.maxSide}px`];
  if (rule.multipleOf > 1) parts.push(`multiples of ${rule.multipleOf}`);
  if (rule.maxPixels) parts.push(`at most ${rule.maxPixels} pixels`);
  if (rule.minPixels) parts.push(`at least ${rule.minPixels} pixels`);
  if (rule.minAspectRatio || rule.maxAspectRatio) {
    parts.push(
      `width/height between ${(rule.minAspectRatio ?? 0).toFixed(3)} and ${(rule.maxAspectRatio ?? Number.POSITIVE_INFINITY).toFixed(3)}`,
    );
  }
  return parts.join(', ');
}

/** Why a size breaks a rule, or undefined when it fits. */
function ruleViolation(size: PixelSize, rule: SizeRule): string | undefined {
  const { width, height } = size;
  if (width < rule.minSide || height < rule.minSide || width > rule.maxSide || height > rule.maxSide) {
    return `each side must be between ${rule.minSide} and ${rule.maxSide} pixels`;
  }
  if (width % rule.multipleOf !== 0 || height % rule.multipleOf !== 0)
    return `both sides must be multiples of ${rule.multipleOf}`;
  const pixels = width * height;
  if (rule.maxPixels && pixels > rule.maxPixels) return `at most ${rule.maxPixels} pixels are allowed`;
  if (rule.minPixels && pixels < rule.minPixels) return `at least ${rule.minPixels} pixels are required`;
  const ratio = width / height;
  if (rule.minAspectRatio && ratio < rule.minAspectRatio - 1e-9)
    return 'the image is too tall for this model';
  if (rule.maxAspectRatio && ratio > rule.maxAspectRatio + 1e-9)
    return 'the image is too wide for this model';
  return undefined;
}

/** The closest size a rule allows to a wanted size (ratio first, then area). */
function snapToRule(wanted: PixelSize, rule: SizeRule): PixelSize {
  let ratio = wanted.width / wanted.height;
  if (rule.minAspectRatio) ratio = Math.max(ratio, rule.minAspectRatio);
  if (rule.maxAspectRatio) ratio = Math.min(ratio, rule.maxAspectRatio);
  let pixels = wanted.width * wanted.height;
  if (rule.maxPixels) pixels = Math.min(pixels, rule.maxPixels);
  if (rule.minPixels) pixels = Math.max(pixels, rule.minPixels);
  const step = rule.multipleOf;
  const clampSide = (value: number) =>
    Math.min(
      Math.floor(rule.maxSide / step) * step,
      Math.max(Math.ceil(rule.minSide / step) * step, Math.round(value / step) * step),
    );
  let width = clampSide(Math.sqrt(pixels * ratio));
  let height = clampSide(width / ratio);
  // Rounding may push the area over the limit: step down until every bound holds.
  for (let guard = 0; guard < 1000 && ruleViolation({ width, height }, rule); guard++) {
    if (width >= height) width = clampSide(width - step);
    else height = clampSide(height - step);
  }
  return { width, height };
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * The size with exactly the ratio a:b that a rule allows, closest to `targetArea` pixels, or
 * undefined when the rule allows none (for example a ratio beyond its bounds).
 */
function exactRatioSize(
  rule: SizeRule,
  ratio: { width: number; height: number },
  targetArea: number,
): PixelSize | undefined {
  const divisor = gcd(ratio.width, ratio.height);
  const a = ratio.width / divisor;
  const b = ratio.height / divisor;
  const stepA = rule.multipleOf / gcd(rule.multipleOf, a);
  const stepB = rule.multipleOf / gcd(rule.multipleOf, b);
  const step = (stepA * stepB) / gcd(stepA, stepB);
  const ideal = Math.sqrt(targetArea / (a * b));
  const start = Math.max(step, Math.round(ideal / step) * step);
  for (let offset = 0; offset < 4096; offset++) {
    for (const t of offset === 0 ? [start] : [start - offset * step, start + offset * step]) {
      if (t <= 0) continue;
      const size = { width: a * t, height: b * t };
      if (ruleViolation(size, rule) === undefined) return size;
    }
    if (a * (start - offset * step) < rule.minSide && a * (start + offset * step) > rule.maxSide) break;
  }
  return undefined;
}

/** What the size checks need from a model's capabilities, parsed once per model. */
interface SizeFacts {
  /** Listed sizes and ratio sizes, without `auto`, in declaration order. */
  fixedSizes: string[];
  /** Every size the model takes as is: listed sizes and ratio sizes. */
  exact: Set<string>;
  /** Declared ratio by its produced size. */
  ratioBySize: Map<string, string>;
  /** Declared ratios, parsed. */
  ratios: Array<{ name: string; ratio: PixelSize }>;
}

const sizeFactsCache = new WeakMap<ModelDescriptor, SizeFacts>();

/** The model's size facts (descriptors are immutable data, so they are computed once per model). */
function sizeFacts(model: ModelDescriptor): SizeFacts {
  let facts = sizeFactsCache.get(model);
  if (facts) return facts;
  const ratioEntries = Object.entries(model.capabilities.aspectRatios);
  const fixed = [
    ...model.capabilities.sizes.filter((s) => s !== 'auto'),
    ...ratioEntries.map(([, size]) => size),
  ];
  const ratioBySize = new Map<string, string>();
  for (const [name, size] of ratioEntries) if (!ratioBySize.has(size)) ratioBySize.set(size, name);
  facts = {
    fixedSizes: [...new Set(fixed)],
    exact: new Set([...model.capabilities.sizes, ...ratioEntries.map(([, size]) => size)]),
    ratioBySize,
    ratios: ratioEntries.flatMap(([name]) => {
      const ratio = parseAspectRatio(name);
      return ratio ? [{ name, ratio }] : [];
    }),
  };
  sizeFactsCache.set(model, facts);
  return facts;
}

/** The model's fixed sizes (listed sizes and ratio sizes), without `auto`. */
function fixedSizes(model: ModelDescriptor): string[] {
  return sizeFacts(model).fixedSizes;
}

function nearestSize(candidates: string[], wanted: PixelSize): string | undefined {
  const wantedRatio = ratioValue(wanted);
  const wantedArea = wanted.width * wanted.height;
  let best: string | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const size = parseSize(candidate);
    if (!size) continue;
    const score =
      ratioDistance(ratioValue(size), wantedRatio) * 10 +
      Math.abs(Math.log((size.width * size.height) / wantedArea));
    if (score < bestScore) {
      bestScore = score;
      best = candidate;
    }
  }
  return best;
}

function nearestRatio(ratios: string[], wanted: number): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const ratio of ratios) {
    const parsed = parseAspectRatio(ratio);
    if (!parsed) continue;
    const distance = ratioDistance(ratioValue(parsed), wanted);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = ratio;
    }
  }
  return best;
}

/** The declared ratio with exactly this size's proportions, if any. */
function exactRatioFor(model: ModelDescriptor, size: PixelSize): string | undefined {
  const facts = sizeFacts(model);
  const produced = facts.ratioBySize.get(formatSize(size));
  if (produced) return produced;
  for (const { name, ratio } of facts.ratios) {
    if (size.width * ratio.height === size.height * ratio.width) return name;
  }
  return undefined;
}

function sizeAccepted(model: ModelDescriptor, size: PixelSize): boolean {
  if (sizeFacts(model).exact.has(formatSize(size))) return true;
  return (
    model.capabilities.sizeRule !== undefined &&
    ruleViolation(size, model.capabilities.sizeRule) === undefined
  );
}

function acceptedSizesText(model: ModelDescriptor): string {
  const parts: string[] = [];
  const sizes = [...model.capabilities.sizes, ...Object.values(model.capabilities.aspectRatios)];
  if (sizes.length) parts.push(list([...new Set(sizes)]));
  if (model.capabilities.sizeRule) parts.push(`any size with ${describeRule(model.capabilities.sizeRule)}`);
  const ratios = Object.keys(model.capabilities.aspectRatios);
  if (ratios.length) parts.push(`or a size with one of the ratios ${list(ratios)}`);
  return parts.join('; ');
}

function hasSizeSetting(model: ModelDescriptor): boolean {
  const { capabilities } = model;
  return (
    capabilities.sizes.length > 0 ||
    capabilities.sizeRule !== undefined ||
    Object.keys(capabilities.aspectRatios).length > 0
  );
}

interface SizeDecision {
  size?: string;
  aspectRatio?: string;
}

/** What one size decision needs to know. */
interface SizeContext {
  request: ImageRequest;
  model: ModelDescriptor;
  policy: CapabilityPolicy;
  warnings: GenerationWarning[];
  qualified: string;
  ratios: Record<string, string>;
  ratioNames: string[];
}

/** A size, with the declared ratio it has exactly, if any. */
function withRatio(c: SizeContext, size: string): SizeDecision {
  const parsed = parseSize(size);
  const ratio = parsed ? exactRatioFor(c.model, parsed) : undefined;
  return ratio ? { size, aspectRatio: ratio } : { size };
}

/** A model without any size setting: a size or ratio cannot be honoured. */
function noSizeSetting(c: SizeContext): SizeDecision {
  const { request } = c;
  if (request.size === undefined && request.aspect_ratio === undefined) return {};
  const param = request.size === undefined ? 'aspect_ratio' : 'size';
  if (c.policy === 'strict')
    throw validationError(param, `The model '${c.qualified}' has no size setting; remove '${param}'.`);
  c.warnings.push({
    type: 'unsupported',
    param,
    message: `The model '${c.qualified}' has no size setting; '${param}' was not sent.`,
    from: request[param],
  });
  return {};
}

/** `size: 'auto'`: kept where the model takes it; otherwise refused, or its default under coerce. */
function autoSize(c: SizeContext): SizeDecision {
  const { model } = c;
  if (model.capabilities.sizes.includes('auto')) return { size: 'auto' };
  const fallback =
    model.defaults.size ??
    (model.defaults.aspectRatio ? c.ratios[model.defaults.aspectRatio] : undefined) ??
    fixedSizes(model)[0];
  if (c.policy === 'strict' || fallback === undefined) {
    throw validationError(
      'size',
      `The model '${c.qualified}' does not accept size 'auto'. Accepted: ${acceptedSizesText(model)}.`,
    );
  }
  c.warnings.push({
    type: 'coerced',
    param: 'size',
    message: `The model '${c.qualified}' does not accept 'auto'; using ${fallback}.`,
    from: 'auto',
    to: fallback,
  });
  return withRatio(c, fallback);
}

/** The VALIDATION_ERROR for a size the model does not make, listing what it makes. */
function unsupportedSize(c: SizeContext, wanted: string, size: PixelSize): GatewayError {
  const rule = c.model.capabilities.sizeRule;
  const why = rule ? ` (${ruleViolation(size, rule)})` : '';
  return validationError(
    'size',
    `The size '${wanted}' is not supported by '${c.qualified}'${why}. Accepted: ${acceptedSizesText(c.model)}.`,
    {
      accepted: [...new Set([...c.model.capabilities.sizes, ...Object.values(c.ratios)])],
      ...(c.ratioNames.length ? { aspect_ratios: c.ratioNames } : {}),
      ...(rule ? { size_rule: rule } : {}),
    },
  );
}

/**
 * An explicit `WIDTHxHEIGHT`. Accepted as is when the model makes exactly that size. Anything
 * else changes what the caller gets, so `strict` refuses it (listing what the model makes) and
 * only `coerce` maps it: to the declared ratio with the same proportions (drawn at that ratio's
 * own size), else to the nearest size the model makes, with a `coerced` warning.
 */
function explicitSize(c: SizeContext, wanted: string): SizeDecision {
  const { model } = c;
  const size = parseSize(wanted);
  if (!size)
    throw validationError(
      'size',
      `size must be WIDTHxHEIGHT or auto. Accepted by '${c.qualified}': ${acceptedSizesText(model)}.`,
    );
  if (sizeAccepted(model, size)) return withRatio(c, formatSize(size));
  if (c.policy === 'strict') throw unsupportedSize(c, wanted, size);
  const ratio = c.ratioNames.length ? exactRatioFor(model, size) : undefined;
  if (ratio) {
    const produced = c.ratios[ratio]!;
    c.warnings.push({
      type: 'coerced',
      param: 'size',
      message: `The model '${c.qualified}' draws ${ratio} images at ${produced}; ${wanted} has that ratio, so ${produced} is produced.`,
      from: wanted,
      to: produced,
    });
    return { size: produced, aspectRatio: ratio };
  }
  const rule = model.capabilities.sizeRule;
  let chosen = nearestSize(fixedSizes(model), size);
  if (rule) {
    const snapped = formatSize(snapToRule(size, rule));
    const snappedSize = parseSize(snapped)!;
    if (
      !chosen ||
      nearestSize([chosen, snapped], size) === snapped ||
      ruleViolation(snappedSize, rule) === undefined
    )
      chosen = snapped;
  }
  if (!chosen)
    throw validationError(
      'size',
      `The size '${wanted}' is not supported by '${c.qualified}'. Accepted: ${acceptedSizesText(model)}.`,
    );
  c.warnings.push({
    type: 'coerced',
    param: 'size',
    message: `The size '${wanted}' is not supported by '${c.qualified}'; using the nearest, ${chosen}.`,
    from: wanted,
    to: chosen,
  });
  return withRatio(c, chosen);
}

/** An `aspect_ratio` without a size: a declared ratio, a listed size or rule size with that ratio. */
function explicitRatio(c: SizeContext, wantedText: string): SizeDecision {
  const { model } = c;
  const wanted = parseAspectRatio(wantedText);
  if (!wanted) throw validationError('aspect_ratio', 'aspect_ratio must look like 16:9.');
  const reduced = reduceRatio(wanted);
  const declared = c.ratioNames.find(
    (name) => name === wantedText || reduceRatio(parseAspectRatio(name)!) === reduced,
  );
  if (declared) return { size: c.ratios[declared]!, aspectRatio: declared };
  // Size-based models: a listed size with exactly this ratio, closest to the default area.
  const defaultSize = parseSize(model.defaults.size ?? '') ?? { width: 1024, height: 1024 };
  const sameRatio = fixedSizes(model).filter((s) => {
    const parsed = parseSize(s);
    return parsed !== undefined && parsed.width * wanted.height === parsed.height * wanted.width;
  });
  if (sameRatio.length) return withRatio(c, nearestSize(sameRatio, defaultSize)!);
  const rule = model.capabilities.sizeRule;
  if (rule) {
    const exact = exactRatioSize(rule, wanted, defaultSize.width * defaultSize.height);
    if (exact) return { size: formatSize(exact) };
  }
  const acceptedRatios = c.ratioNames.length
    ? c.ratioNames
    : [...new Set(fixedSizes(model).map((s) => reduceRatio(parseSize(s)!)))];
  if (c.policy === 'strict') {
    throw validationError(
      'aspect_ratio',
      `The aspect ratio '${wantedText}' is not supported by '${c.qualified}'. Accepted: ${list(acceptedRatios)}.`,
      { accepted: acceptedRatios },
    );
  }
  return nearestRatioSize(c, wantedText, wanted, defaultSize);
}

/** `coerce` for an unsupported aspect ratio: the nearest declared ratio, or the nearest size. */
function nearestRatioSize(
  c: SizeContext,
  wantedText: string,
  wanted: PixelSize,
  defaultSize: PixelSize,
): SizeDecision {
  if (c.ratioNames.length) {
    const nearest = nearestRatio(c.ratioNames, ratioValue(wanted))!;
    c.warnings.push({
      type: 'coerced',
      param: 'aspect_ratio',
      message: `The aspect ratio '${wantedText}' is not supported by '${c.qualified}'; using the nearest, ${nearest}.`,
      from: wantedText,
      to: nearest,
    });
    return { size: c.ratios[nearest]!, aspectRatio: nearest };
  }
  const target = {
    width: Math.sqrt(defaultSize.width * defaultSize.height * ratioValue(wanted)),
    height: Math.sqrt((defaultSize.width * defaultSize.height) / ratioValue(wanted)),
  };
  const rule = c.model.capabilities.sizeRule;
  const chosen = rule ? formatSize(snapToRule(target, rule)) : nearestSize(fixedSizes(c.model), target)!;
  c.warnings.push({
    type: 'coerced',
    param: 'aspect_ratio',
    message: `The aspect ratio '${wantedText}' is not supported by '${c.qualified}'; using the nearest size, ${chosen}.`,
    from: wantedText,
    to: chosen,
  });
  return withRatio(c, chosen);
}

/** Neither size nor ratio asked for: the model's default. */
function defaultSizeOf(c: SizeContext): SizeDecision {
  const { model } = c;
  if (model.defaults.size) return withRatio(c, model.defaults.size);
  if (model.defaults.aspectRatio && c.ratios[model.defaults.aspectRatio]) {
    return { size: c.ratios[model.defaults.aspectRatio]!, aspectRatio: model.defaults.aspectRatio };
  }
  if (model.capabilities.sizes.includes('auto')) return { size: 'auto' };
  const first = fixedSizes(model)[0];
  return first ? withRatio(c, first) : {};
}

function resolveSize(
  request: ImageRequest,
  model: ModelDescriptor,
  policy: CapabilityPolicy,
  warnings: GenerationWarning[],
): SizeDecision {
  const ratios = model.capabilities.aspectRatios;
  const c: SizeContext = {
    request,
    model,
    policy,
    warnings,
    qualified: `${model.provider}/${model.id}`,
    ratios,
    ratioNames: Object.keys(ratios),
  };
  if (!hasSizeSetting(model)) return noSizeSetting(c);
  if (request.size !== undefined && request.aspect_ratio !== undefined && request.size !== 'auto') {
    const size = parseSize(request.size);
    const ratio = parseAspectRatio(request.aspect_ratio);
    if (size && ratio && size.width * ratio.height !== size.height * ratio.width) {
      throw validationError(
        'aspect_ratio',
        `aspect_ratio '${request.aspect_ratio}' contradicts size '${request.size}'; send one of them.`,
      );
    }
  }
  if (request.size === 'auto') return autoSize(c);
  if (request.size !== undefined) return explicitSize(c, request.size);
  if (request.aspect_ratio !== undefined) return explicitRatio(c, request.aspect_ratio);
  return defaultSizeOf(c);
}

/**
 * Checks one enumerated setting. Returns the value to send, or undefined to send nothing.
 * `equivalents` lets `coerce` map across naming families (dall-e's `hd` is gpt-image's `high`).
 */
function resolveChoice(options: {
  param: string;
  value: string | undefined;
  allowed: readonly string[];
  fallback: string | undefined;
  model: ModelDescriptor;
  policy: CapabilityPolicy;
  warnings: GenerationWarning[];
  equivalents?: Record<string, string[]>;
}): string | undefined {
  const { param, value, allowed, fallback, model, policy, warnings } = options;
  const qualified = `${model.provider}/${model.id}`;
  if (value === undefined) return allowed.length ? fallback : undefined;
  if (allowed.includes(value)) return value;
  if (allowed.length === 0) {
    if (policy === 'strict')
      throw validationError(param, `The model '${qualified}' has no '${param}' setting; remove it.`);
    warnings.push({
      type: 'unsupported',
      param,
      message: `The model '${qualified}' has no '${param}' setting; '${value}' was not sent.`,
      from: value,
    });
    return undefined;
  }
  if (policy === 'strict') {
    throw validationError(
      param,
      `'${value}' is not a supported ${param} for '${qualified}'. Accepted: ${list(allowed)}.`,
      { accepted: [...allowed] },
    );
  }
  const mapped =
    options.equivalents?.[value]?.find((candidate) => allowed.includes(candidate)) ?? fallback ?? allowed[0];
  warnings.push({
    type: 'coerced',
    param,
    message: `'${value}' is not a supported ${param} for '${qualified}'; using '${mapped}'.`,
    from: value,
    to: mapped,
  });
  return mapped;
}

function resolveFlag<T>(options: {
  param: string;
  value: T | undefined;
  supported: boolean;
  model: ModelDescriptor;
  policy: CapabilityPolicy;
  warnings: GenerationWarning[];
}): T | undefined {
  const { param, value, supported, model, policy, warnings } = options;
  if (value === undefined || supported) return value;
  const qualified = `${model.provider}/${model.id}`;
  if (policy === 'strict')
    throw validationError(param, `The model '${qualified}' does not support '${param}'; remove it.`);
  warnings.push({
    type: 'unsupported',
    param,
    message: `The model '${qualified}' does not support '${param}'; it was not sent.`,
  });
  return undefined;
}

/** The enumerated settings: quality, style, output format, background, moderation. */
function resolveChoices(
  request: ImageRequest,
  model: ModelDescriptor,
  policy: CapabilityPolicy,
  warnings: GenerationWarning[],
) {
  const { capabilities } = model;
  const quality = resolveChoice({
    param: 'quality',
    value: request.quality,
    allowed: capabilities.qualities,
    fallback: model.defaults.quality,
    model,
    policy,
    warnings,
    equivalents: QUALITY_EQUIVALENTS,
  });
  const style = resolveChoice({
    param: 'style',
    value: request.style,
    allowed: capabilities.styles,
    fallback: model.defaults.style,
    model,
    policy,
    warnings,
  });
  const outputFormat = resolveChoice({
    param: 'output_format',
    value: request.output_format,
    allowed: capabilities.outputFormats,
    fallback: model.defaults.outputFormat ?? capabilities.outputFormats[0],
    model,
    policy,
    warnings,
  }) as ProviderCall['outputFormat'];
  const background = resolveChoice({
    param: 'background',
    value: request.background,
    allowed: capabilities.backgrounds,
    fallback: undefined,
    model,
    policy,
    warnings,
  }) as ProviderCall['background'];
  const moderation = resolveChoice({
    param: 'moderation',
    value: request.moderation,
    allowed: capabilities.moderation,
    fallback: undefined,
    model,
    policy,
    warnings,
  }) as ProviderCall['moderation'];

  return { quality, style, outputFormat, background, moderation };
}

/**
 * Checks every value of a request against what the model declares, before any network call, and
 * produces the call to make. Nothing is dropped or changed silently: under `strict` an unsupported
 * value is a VALIDATION_ERROR naming the field and the accepted values; under `coerce` it is
 * replaced by the nearest supported value and reported as a warning. Limits that change what the
 * caller gets (prompt length, n) are always enforced.
 */
export function validateCapabilities(
  request: ImageRequest,
  model: ModelDescriptor,
  policy: CapabilityPolicy,
): CapabilityResult {
  const warnings: GenerationWarning[] = [];
  const { capabilities } = model;
  const qualified = `${model.provider}/${model.id}`;
  const n = request.n ?? 1;

  if (n > capabilities.maxImagesPerRequest) {
    throw validationError(
      'n',
      `The model '${qualified}' returns at most ${capabilities.maxImagesPerRequest} image${capabilities.maxImagesPerRequest === 1 ? '' : 's'} per request; ask for fewer.`,
      {
        max: capabilities.maxImagesPerRequest,
      },
    );
  }
  if (request.prompt.length > capabilities.maxPromptLength) {
    throw validationError(
      'prompt',
      `The prompt has ${request.prompt.length} characters; '${qualified}' accepts at most ${capabilities.maxPromptLength}.`,
      {
        max: capabilities.maxPromptLength,
      },
    );
  }

  const size = resolveSize(request, model, policy, warnings);
  const { quality, style, outputFormat, background, moderation } = resolveChoices(
    request,
    model,
    policy,
    warnings,
  );

  let outputCompression = resolveFlag({
    param: 'output_compression',
    value: request.output_compression,
    supported: capabilities.outputCompression,
    model,
    policy,
    warnings,
  });
  if (outputCompression !== undefined && outputFormat === 'png') {
    if (policy === 'strict')
      throw validationError(
        'output_compression',
        "output_compression applies to jpeg and webp only; remove it or set output_format to 'jpeg' or 'webp'.",
      );
    warnings.push({
      type: 'unsupported',
      param: 'output_compression',
      message: 'output_compression applies to jpeg and webp only; it was not sent.',
    });
    outputCompression = undefined;
  }
  if (background === 'transparent' && outputFormat === 'jpeg') {
    throw validationError('background', "A transparent background needs output_format 'png' or 'webp'.");
  }

  const seed = resolveFlag({
    param: 'seed',
    value: request.seed,
    supported: capabilities.seed,
    model,
    policy,
    warnings,
  });
  if (seed !== undefined && seed > capabilities.maxSeed) {
    throw validationError('seed', `seed must be at most ${capabilities.maxSeed} for '${qualified}'.`, {
      max: capabilities.maxSeed,
    });
  }
  const negativePrompt = resolveFlag({
    param: 'negative_prompt',
    value: request.negative_prompt,
    supported: capabilities.negativePrompt,
    model,
    policy,
    warnings,
  });
  if (
    negativePrompt !== undefined &&
    capabilities.maxNegativePromptLength &&
    negativePrompt.length > capabilities.maxNegativePromptLength
  ) {
    throw validationError(
      'negative_prompt',
      `negative_prompt has ${negativePrompt.length} characters; '${qualified}' accepts at most ${capabilities.maxNegativePromptLength}.`,
    );
  }

  const call: CapabilityResult['call'] = {
    operation: 'generate',
    model,
    prompt: request.prompt,
    n,
    ...(size.size === undefined ? {} : { size: size.size }),
    ...(size.aspectRatio === undefined ? {} : { aspectRatio: size.aspectRatio }),
    ...(quality === undefined ? {} : { quality }),
    ...(style === undefined ? {} : { style }),
    ...(outputFormat === undefined ? {} : { outputFormat }),
    ...(outputCompression === undefined ? {} : { outputCompression }),
    ...(background === undefined ? {} : { background }),
    ...(moderation === undefined ? {} : { moderation }),
    ...(negativePrompt === undefined ? {} : { negativePrompt }),
    ...(seed === undefined ? {} : { seed }),
    ...(request.user === undefined ? {} : { user: request.user }),
    ...(request.metadata === undefined ? {} : { metadata: request.metadata }),
  };
  return { call, warnings };
}
