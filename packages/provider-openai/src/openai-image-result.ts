import {
  BackendError,
  decodeBase64,
  type GenerationWarning,
  OUTPUT_FORMAT_MEDIA_TYPES,
  type ProviderCall,
  type ProviderImage,
  type ProviderResult,
  sniffImage,
} from '@pixelgate/core/provider-utils';
import { type ImagesResponse, imagesResponseSchema, mapUsage } from './openai-api.ts';
import type { OpenAIModelData } from './openai-catalog.ts';
import { downloadImage } from './openai-download.ts';
import type { OpenAITransport } from './openai-image-provider.ts';

/** One successful answer and what is needed to read it. */
export interface ImagesAnswer {
  transport: OpenAITransport;
  call: ProviderCall;
  data: OpenAIModelData;
  json: unknown;
  status: number;
  upstreamRequestId: string | undefined;
  signal: AbortSignal;
  secrets: string[];
}

function malformed(answer: ImagesAnswer, message: string): BackendError {
  return new BackendError(message, {
    reason: 'malformed_response',
    provider: answer.transport.id,
    upstreamStatus: answer.status,
    ...(answer.upstreamRequestId ? { upstreamRequestId: answer.upstreamRequestId } : {}),
  });
}

/** Parses the body leniently; an answer that is not an images response, or holds no image, is malformed. */
function parseImages(answer: ImagesAnswer): ImagesResponse {
  const parsed = imagesResponseSchema.safeParse(answer.json);
  const { label } = answer.transport;
  if (!parsed.success)
    throw malformed(answer, `${label} answered with a body that is not an images response.`);
  if (parsed.data.data.length === 0) throw malformed(answer, `${label} answered without any image.`);
  return parsed.data;
}

/** Decodes (or downloads) each image once and checks its bytes are the format that was declared. */
async function readImages(answer: ImagesAnswer, result: ImagesResponse): Promise<ProviderImage[]> {
  const { transport, call, data } = answer;
  const declaredFormat =
    result.output_format ?? (data.family === 'gpt-image' ? call.outputFormat : 'png') ?? 'png';
  const expectedMediaType =
    OUTPUT_FORMAT_MEDIA_TYPES[declaredFormat as keyof typeof OUTPUT_FORMAT_MEDIA_TYPES];
  const images: ProviderImage[] = [];
  for (const entry of result.data.slice(0, call.n)) {
    const bytes = entry.b64_json
      ? decodeBase64(entry.b64_json, transport.id)
      : await downloadImage(transport, entry.url!, answer.signal, answer.secrets, answer.upstreamRequestId);
    const sniffed = sniffImage(bytes);
    if (!sniffed || (expectedMediaType !== undefined && sniffed.mediaType !== expectedMediaType)) {
      throw malformed(
        answer,
        sniffed
          ? `${transport.label} declared ${declaredFormat} but the image bytes are ${sniffed.mediaType}.`
          : `${transport.label} answered with image data that is not a known image format.`,
      );
    }
    images.push({
      bytes,
      mediaType: sniffed.mediaType,
      ...(entry.b64_json ? { base64: entry.b64_json } : {}),
      ...(entry.revised_prompt ? { revisedPrompt: entry.revised_prompt } : {}),
    });
  }
  return images;
}

/** Says when the server answered with more or fewer images than asked for. */
function countWarning(
  label: string,
  returned: number,
  used: number,
  n: number,
): GenerationWarning | undefined {
  if (returned > n) {
    return {
      type: 'other',
      param: 'n',
      message: `${label} returned ${returned} images for n=${n}; the extra ones were not used.`,
    };
  }
  if (used < n) {
    return {
      type: 'partial',
      param: 'n',
      message: `${label} returned ${used} of the ${n} images asked for.`,
      from: n,
      to: used,
    };
  }
  return undefined;
}

/** Turns a successful images response into the provider result. */
export async function imagesResult(
  answer: ImagesAnswer,
  warnings: GenerationWarning[],
): Promise<ProviderResult> {
  const { transport, call, data } = answer;
  const result = parseImages(answer);
  const images = await readImages(answer, result);
  const counted = countWarning(transport.label, result.data.length, images.length, call.n);
  if (counted) warnings.push(counted);
  const usage = mapUsage(result.usage);
  return {
    images,
    ...(usage ? { usage } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
    response: {
      ...(answer.upstreamRequestId ? { upstreamRequestId: answer.upstreamRequestId } : {}),
      modelId: data.upstreamModel ?? call.model.id,
      status: answer.status,
    },
  };
}
