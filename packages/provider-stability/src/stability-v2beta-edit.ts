/**
 * Stability's v2beta edit endpoints (`/v2beta/stable-image/edit/{inpaint|erase|outpaint|
 * search-and-replace|remove-background}`): the input image (and mask) as multipart files, the
 * operation's fields, one image back as raw bytes or JSON, read and checked exactly like a
 * generation (same error mapping, content filter policy and seed reporting).
 */
import {
  GatewayError,
  type ProviderCall,
  type ProviderCallContext,
  type ProviderResult,
} from '@pixelgate/core/provider-utils';
import type { StabilityProviderData } from './stability-catalog.ts';
import {
  postToStability,
  requestHeaders,
  resolveApiKey,
  type StabilityClient,
  secretsOf,
} from './stability-client.ts';
import { type CheckedEdit, checkEditCall } from './stability-edit-checks.ts';
import { resolveStylePreset, type StabilityImageOptions, seedWarnings } from './stability-options.ts';
import { finishStabilityCall } from './stability-result.ts';
import { readV2beta } from './stability-v2beta.ts';

type EditRoute = Extract<StabilityProviderData, { apiFamily: 'v2beta-edit' }>;

/** The operation's own option fields, in the order Stability documents them. */
const OPTION_FIELDS = ['search_prompt', 'grow_mask', 'left', 'right', 'up', 'down', 'creativity'] as const;

/** A file part with the bytes as they are (the pipeline already checked them). */
function filePart(file: { bytes: Uint8Array; mediaType: string }): Blob {
  return new Blob([file.bytes as Uint8Array<ArrayBuffer>], { type: file.mediaType });
}

/** The multipart body exactly as the endpoint takes it: files, then the text fields it knows. */
function editForm(
  call: ProviderCall,
  checked: CheckedEdit,
  options: StabilityImageOptions,
  style: string | undefined,
  format: string,
): FormData {
  const { image, mask, facts } = checked;
  const form = new FormData();
  form.set('image', filePart(image), image.filename);
  if (mask) form.set('mask', filePart(mask), mask.filename);
  if (facts.prompt !== 'none' && call.prompt.trim() !== '') form.set('prompt', call.prompt);
  if (call.negativePrompt !== undefined) form.set('negative_prompt', call.negativePrompt);
  for (const name of OPTION_FIELDS) {
    const value = options[name];
    if (value !== undefined && facts.fields.includes(name)) form.set(name, String(value));
  }
  if (facts.seed && call.seed !== undefined) form.set('seed', String(call.seed));
  form.set('output_format', format);
  if (style !== undefined) form.set('style_preset', style);
  return form;
}

/** One edit call: checked for its operation, posted, and the answer read like a generation's. */
export async function editV2beta(
  client: StabilityClient,
  call: ProviderCall,
  context: ProviderCallContext,
  route: EditRoute,
  options: StabilityImageOptions,
): Promise<ProviderResult> {
  const model = call.model;
  if (call.n !== 1) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `${client.id}: model '${model.id}' uses a v2beta edit endpoint, which returns one image per call; declare maxImagesPerCall 1 so dispatch splits n.`,
      { provider: client.id },
    );
  }
  const checked = checkEditCall(call, client.id, route, options);
  const style = resolveStylePreset(call, options, client.id);
  const format = call.outputFormat ?? model.defaults.outputFormat ?? 'png';
  const warnings = [...checked.warnings, ...(checked.facts.seed ? seedWarnings(call) : [])];

  const apiKey = resolveApiKey(client, context);
  const accept = client.responseFormat === 'json' ? 'application/json' : 'image/*';
  const response = await postToStability(
    client,
    route.endpoint,
    {
      body: editForm(call, checked, options, style, format),
      headers: requestHeaders(client, apiKey, accept, call),
    },
    context,
    secretsOf(client, apiKey),
    Object.keys(call.providerOptions ?? {}),
  );
  const raw = await readV2beta(client, response, context);
  // No size check: the output follows the input (outpaint adds the extension) and Stability may
  // rescale, so the real size is read from the bytes by the pipeline.
  return finishStabilityCall(client, [raw], { count: 1, format }, response, warnings, model.id);
}
