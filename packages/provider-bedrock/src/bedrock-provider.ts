/**
 * `createBedrockProvider`: Amazon Bedrock's image models through the AWS SDK's InvokeModel
 * (SigV4-signed, credentials from the AWS default chain or given explicitly), with the region's
 * models as data and the SDK's transport replaced by a `fetch` seam.
 */
import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import {
  BackendError,
  decodeBase64,
  type FetchFunction,
  GatewayError,
  type GenerationWarning,
  type ImageProvider,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderImage,
  type ProviderResult,
  sniffImage,
  throwIfAborted,
} from '@pixelgate/core/provider-utils';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { amazonImageResponseSchema, stabilityResponseSchema } from './bedrock-api.ts';
import {
  type BedrockProviderData,
  bedrockModels,
  bedrockProviderDataSchema,
  tierPrice,
} from './bedrock-catalog.ts';
import { BEDROCK_CONTENT_FILTER_PATTERN, mapBedrockError } from './bedrock-error.ts';
import { createFetchRequestHandler } from './bedrock-fetch-handler.ts';
import { bedrockOptionsSchema, parseBedrockOptions } from './bedrock-options.ts';
import { pixelSizeOf, requestBody } from './bedrock-request.ts';

/** The label on images Bedrock's filter flagged, under the `flag` policy. */
export const BEDROCK_CONTENT_FILTERED_LABEL = 'provider:bedrock:content_filtered';

/** Static AWS credentials (the default chain is used when none are given). */
export interface BedrockCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Settings of {@link createBedrockProvider}. */
export interface BedrockProviderSettings {
  /** Provider id in qualified model ids (default `bedrock`). */
  id?: string;
  /** AWS region (default AWS_REGION, then AWS_DEFAULT_REGION, then `us-east-1`). */
  region?: string;
  /** Explicit credentials; otherwise the AWS default chain (environment, profile, SSO, instance role). */
  credentials?: BedrockCredentials;
  /** Endpoint override (a VPC endpoint, or a fake server in tests). */
  endpoint?: string;
  /** The fetch implementation the SDK's requests go through: the test seam. */
  fetch?: FetchFunction;
  /** Which regions serve which model id, replacing the catalog's UNCONFIRMED defaults per model. */
  regionAvailability?: Record<string, readonly string[]>;
  /** Models to add (always listed), or to replace catalog entries with the same id. */
  models?: ModelDescriptorInput[];
  /**
   * Images Bedrock reports as filtered (Stability `finish_reasons`, Titan/Nova partial `error`):
   * `fail` (default) withholds them, failing the call with `content_filtered` when none is left.
   */
  contentFilter?: 'fail' | 'flag';
  /** Largest answer accepted, in bytes (default 64 MiB). */
  maxResponseBytes?: number;
}

function configError(provider: string, message: string): GatewayError {
  return new GatewayError('CONFIGURATION_ERROR', `${provider}: ${message}`, { provider });
}

function routeOf(
  provider: string,
  model: Pick<ModelDescriptorInput, 'id' | 'providerData'>,
): BedrockProviderData {
  const parsed = bedrockProviderDataSchema.safeParse(model.providerData ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(
      provider,
      `model '${model.id}' has invalid providerData (${issue ? `${issue.path.join('.') || 'providerData'}: ${issue.message}` : 'invalid'}). Give { family: 'amazon-image' | 'stability', modelId?, regions?, priceTiers? }.`,
    );
  }
  return parsed.data;
}

/** The region's catalog: built-in models served there (per the availability data) plus user models. */
function regionModels(
  provider: string,
  region: string,
  settings: BedrockProviderSettings,
): ModelDescriptorInput[] {
  const byId = new Map<string, ModelDescriptorInput>();
  for (const model of bedrockModels()) {
    const data = model.providerData as BedrockProviderData;
    const regions = settings.regionAvailability?.[model.id] ?? data.regions;
    if (regions.includes(region))
      byId.set(model.id, { ...model, provider, providerData: { ...data, regions: [...regions] } });
  }
  for (const model of settings.models ?? [])
    byId.set(model.id, { ...model, provider: model.provider ?? provider });
  return [...byId.values()];
}

interface RawImage {
  base64: string;
  filtered: boolean;
  seed?: number;
}

function parseBody(
  provider: string,
  bytes: Uint8Array,
  route: BedrockProviderData,
  call: ProviderCall,
  requestId: string | undefined,
): { raws: RawImage[]; withheld: number } {
  const malformed = (message: string) =>
    new BackendError(`${provider}: ${message}`, {
      reason: 'malformed_response',
      provider,
      ...(requestId ? { upstreamRequestId: requestId } : {}),
    });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw Object.assign(malformed('Bedrock answered with a body that is not valid JSON.'), { cause: error });
  }
  if (route.family === 'stability') {
    const parsed = stabilityResponseSchema.safeParse(json);
    if (!parsed.success) throw malformed('the Stability answer has no images array.');
    const raws = parsed.data.images.map((base64, index) => ({
      base64,
      filtered: (parsed.data.finish_reasons?.[index] ?? null) !== null,
      ...(parsed.data.seeds?.[index] === undefined ? {} : { seed: parsed.data.seeds[index] }),
    }));
    return { raws, withheld: 0 };
  }
  const parsed = amazonImageResponseSchema.safeParse(json);
  if (!parsed.success) throw malformed('the answer has no images array.');
  const withheld = call.n - parsed.data.images.length;
  if (withheld > 0 && !(parsed.data.error && BEDROCK_CONTENT_FILTER_PATTERN.test(parsed.data.error))) {
    throw malformed(
      `Bedrock returned ${parsed.data.images.length} image(s) for a call asking for ${call.n}.`,
    );
  }
  const raws = parsed.data.images.map((base64, index) => ({
    base64,
    filtered: false,
    ...(call.seed === undefined ? {} : { seed: call.seed + index }),
  }));
  return { raws, withheld: Math.max(0, withheld) };
}

/**
 * Creates the Bedrock provider: the models served in the configured region, and a `generate` that
 * invokes one model per call and returns the decoded images, with Bedrock's content-filter
 * outcomes normalized to `content_filtered`.
 *
 * @throws GatewayError CONFIGURATION_ERROR for a malformed setting or model providerData.
 */
export function createBedrockProvider(settings: BedrockProviderSettings = {}): ImageProvider {
  const id = settings.id ?? 'bedrock';
  const region = settings.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const contentFilter = settings.contentFilter ?? 'fail';
  if (contentFilter !== 'fail' && contentFilter !== 'flag')
    throw configError(id, `contentFilter must be 'fail' or 'flag', not '${String(contentFilter)}'.`);
  const models = regionModels(id, region, settings);
  for (const model of models) routeOf(id, model);
  const secrets = [settings.credentials?.secretAccessKey, settings.credentials?.sessionToken];
  let client: BedrockRuntimeClient | undefined;

  /** Built at the first call, so construction never touches the credential chain. */
  const clientOf = (): BedrockRuntimeClient => {
    client ??= new BedrockRuntimeClient({
      region,
      maxAttempts: 1, // the gateway's dispatch decides about retries
      ...(settings.credentials ? { credentials: settings.credentials } : {}),
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      requestHandler: createFetchRequestHandler({
        fetch: settings.fetch ?? ((input, init) => globalThis.fetch(input, init)),
        maxResponseBytes: settings.maxResponseBytes ?? 64 * 1024 * 1024,
        provider: id,
      }),
    });
    return client;
  };

  function toImages(raws: RawImage[], call: ProviderCall, warnings: GenerationWarning[]): ProviderImage[] {
    const format = call.outputFormat ?? 'png';
    const images: ProviderImage[] = [];
    for (const raw of raws) {
      if (raw.filtered && contentFilter === 'fail') continue;
      const bytes = decodeBase64(raw.base64, id);
      const sniffed = sniffImage(bytes);
      if (!sniffed)
        throw new BackendError(`${id}: Bedrock returned bytes that are not a PNG, JPEG or WebP image.`, {
          reason: 'malformed_response',
          provider: id,
        });
      if (sniffed.mediaType !== `image/${format}` && !warnings.some((w) => w.param === 'output_format')) {
        warnings.push({
          type: 'other',
          param: 'output_format',
          message: `Bedrock returned ${sniffed.mediaType} although image/${format} was asked for; the image is labelled with its real type.`,
          from: `image/${format}`,
          to: sniffed.mediaType,
        });
      }
      images.push({
        bytes,
        base64: raw.base64,
        mediaType: sniffed.mediaType,
        ...(raw.seed === undefined ? {} : { seed: raw.seed }),
        ...(raw.filtered ? { labels: [BEDROCK_CONTENT_FILTERED_LABEL] } : {}),
      });
    }
    return images;
  }

  async function generateOne(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
    const route = routeOf(id, call.model);
    const options = parseBedrockOptions(id, call.providerOptions, route, `${id}/${call.model.id}`);
    const modelId = route.modelId ?? call.model.id;
    const body = requestBody(call, route, options);
    const output = await clientOf()
      .send(
        new InvokeModelCommand({
          modelId,
          contentType: 'application/json',
          accept: 'application/json',
          body: JSON.stringify(body),
        }),
        { abortSignal: context.signal },
      )
      .catch((error: unknown) => {
        throw mapBedrockError({ provider: id, error, signal: context.signal, secrets, modelId, region });
      });
    const requestId = output.$metadata.requestId;
    const { raws, withheld } = parseBody(id, output.body, route, call, requestId);
    const filtered = withheld + raws.filter((raw) => raw.filtered && contentFilter === 'fail').length;
    const kept = raws.length - raws.filter((raw) => raw.filtered && contentFilter === 'fail').length;
    if (kept === 0 && filtered > 0) {
      throw new BackendError(
        `${id}: Bedrock's content filter withheld ${filtered === 1 ? 'the image' : `all ${filtered} images`}. Change the prompt; retrying will not help.`,
        {
          reason: 'content_filtered',
          provider: id,
          param: 'prompt',
          upstreamCode: 'content_filtered',
          ...(requestId ? { upstreamRequestId: requestId } : {}),
        },
      );
    }
    const warnings: GenerationWarning[] = [];
    const images = toImages(raws, call, warnings);
    const flagged = raws.filter((raw) => raw.filtered).length;
    if (filtered > 0 || flagged > 0) {
      warnings.push({
        type: 'content_filtered',
        message: `Bedrock's content filter ${filtered > 0 ? `withheld ${filtered}` : `flagged ${flagged}`} of ${call.n} image(s).`,
      });
    }
    const size = pixelSizeOf(call);
    const price = tierPrice(route, size.width * size.height, call.quality);
    return {
      images,
      ...(filtered > 0 ? { filteredCount: filtered } : {}),
      ...(flagged > 0 ? { labels: [BEDROCK_CONTENT_FILTERED_LABEL] } : {}),
      ...(price === undefined ? {} : { costUsd: Math.round(price * call.n * 1_000_000) / 1_000_000 }),
      ...(warnings.length ? { warnings } : {}),
      response: {
        modelId,
        status: output.$metadata.httpStatusCode ?? 200,
        ...(requestId ? { upstreamRequestId: requestId } : {}),
      },
    };
  }

  return {
    specificationVersion: 'v1',
    id,
    models,
    providerOptionsSchema: bedrockOptionsSchema,
    async generate(call: ProviderCall, context: ProviderCallContext): Promise<ProviderResult> {
      throwIfAborted(context.signal, id);
      try {
        return await generateOne(call, context);
      } catch (error) {
        if (GatewayError.isInstance(error)) throw error;
        throw new BackendError(`${id}: the answer could not be processed.`, {
          reason: 'malformed_response',
          provider: id,
          cause: error,
        });
      }
    },
    async dispose(): Promise<void> {
      client?.destroy();
      client = undefined;
    },
  };
}
