import { type ProviderCall, validationError } from '@pixelgate/core/provider-utils';
import type { RequestFields } from './openai-request.ts';

/** An input image (or mask) of a call, as the pipeline hands it over. */
type ProviderInputImage = NonNullable<ProviderCall['images']>[number];

/** A file part: the platform's Blob, typed as the pipeline checked it. */
function filePart(image: ProviderInputImage): Blob {
  return new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mediaType });
}

/** Appends the request fields as text parts, in order, as the official SDKs send them. */
function appendFields(form: FormData, fields: RequestFields): void {
  for (const [name, value] of Object.entries(fields)) form.append(name, String(value));
}

function inputImages(call: ProviderCall): ProviderInputImage[] {
  const images = call.images ?? [];
  if (images.length === 0) {
    throw validationError('image', `An ${call.operation} needs at least one input image.`);
  }
  return images;
}

/**
 * The multipart body of `POST /images/edits`: one image as `image`, several as repeated `image[]`
 * (how the API takes an array of files), the mask as `mask`, then the fields. Built with the
 * platform's FormData, so fetch writes the boundary and streams the parts.
 */
export function buildEditForm(call: ProviderCall, fields: RequestFields): FormData {
  const images = inputImages(call);
  const form = new FormData();
  appendFields(form, fields);
  const name = images.length === 1 ? 'image' : 'image[]';
  for (const image of images) form.append(name, filePart(image), image.filename);
  if (call.mask) {
    // OpenAI reads a mask by its alpha channel; a luminance mask would edit the wrong area silently.
    if (call.mask.convention !== 'alpha') {
      throw validationError(
        'mask',
        `${call.model.id} reads masks by alpha (transparent pixels are edited), but the mask given is a ${call.mask.convention} mask; declare capabilities.edit.mask.convention 'alpha' for this model.`,
      );
    }
    form.append('mask', filePart(call.mask), call.mask.filename);
  }
  return form;
}

/** The multipart body of `POST /images/variations`: exactly one image, then the fields. */
export function buildVariationForm(call: ProviderCall, fields: RequestFields): FormData {
  const images = inputImages(call);
  if (images.length !== 1) {
    throw validationError('image', `A variation takes exactly one input image; ${images.length} were given.`);
  }
  if (call.mask) throw validationError('mask', 'Variations take no mask.');
  const form = new FormData();
  appendFields(form, fields);
  form.append('image', filePart(images[0]!), images[0]!.filename);
  return form;
}
