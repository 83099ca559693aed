import { type GatewayError, validationError } from '../errors/gateway-error.ts';
import { MAX_EDIT_IMAGES } from '../request/image-edit-request.ts';
import type { MultipartBody, UploadedFile } from './multipart-body.ts';

/** Form fields sent as text that are whole numbers in the request. */
const INTEGER_FIELDS = new Set(['n', 'output_compression', 'partial_images', 'seed']);
/** Form fields sent as text that are booleans (`true`/`false`, as the SDKs write them). */
const BOOLEAN_FIELDS = new Set(['stream']);
/** Form fields that carry a JSON object (native routes). */
const JSON_FIELDS = new Set(['metadata', 'provider_options']);
/** File fields of an upload: the SDKs send one `image`, or each of several as `image[]`. */
const IMAGE_FIELDS = new Set(['image', 'image[]']);

/** One uploaded image as the request schema takes it: the bytes, their declared type, the name. */
export interface UploadedImageSource {
  data: Uint8Array;
  media_type: string;
  filename: string;
}

function integerField(name: string, value: string): number {
  const trimmed = value.trim();
  if (!/^-?\d{1,15}$/.test(trimmed)) {
    throw validationError(name, `'${name}' must be a whole number such as 1; got '${value.slice(0, 40)}'.`);
  }
  return Number(trimmed);
}

function booleanField(name: string, value: string): boolean {
  const lowered = value.trim().toLowerCase();
  if (lowered === 'true') return true;
  if (lowered === 'false') return false;
  throw validationError(name, `'${name}' must be true or false; got '${value.slice(0, 40)}'.`);
}

function jsonObjectField(name: string, value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw validationError(name, `'${name}' must be a JSON object, such as {"key": "value"}.`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The text fields of a form as request values: numbers and booleans parsed from their text (a
 * wrong one is refused naming the field, never guessed), JSON objects parsed, the rest as sent.
 * A field sent twice is refused: which value was meant is not ours to pick.
 */
export function formFieldsToInput(fields: MultipartBody['fields']): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (const [name, raw] of Object.entries(fields)) {
    if (IMAGE_FIELDS.has(name) || name === 'mask') {
      throw validationError(name, `'${name}' must be a file upload, not a text field.`);
    }
    if (Array.isArray(raw))
      throw validationError(name, `'${name}' was sent ${raw.length} times; send it once.`);
    if (INTEGER_FIELDS.has(name)) input[name] = integerField(name, raw);
    else if (BOOLEAN_FIELDS.has(name)) input[name] = booleanField(name, raw);
    else if (JSON_FIELDS.has(name)) input[name] = jsonObjectField(name, raw);
    else input[name] = raw;
  }
  return input;
}

function toSource(file: UploadedFile): UploadedImageSource {
  return { data: file.bytes, media_type: file.declaredType, filename: file.filename };
}

/** The uploaded files split into images and mask; any other file field is refused by name. */
function sortFiles(files: readonly UploadedFile[]): { images: UploadedFile[]; masks: UploadedFile[] } {
  const images: UploadedFile[] = [];
  const masks: UploadedFile[] = [];
  for (const file of files) {
    if (IMAGE_FIELDS.has(file.field)) images.push(file);
    else if (file.field === 'mask') masks.push(file);
    else {
      throw validationError(
        file.field,
        `'${file.field}' is not a file field of this route; send images as 'image' (or repeated 'image[]') and the mask as 'mask'.`,
      );
    }
  }
  return { images, masks };
}

/**
 * A multipart edit (`image` or repeated `image[]`, up to 16, an optional `mask`, text fields) as
 * the edit request object: files become `{ data, media_type, filename }` image sources, whose
 * bytes and declared types the gateway then checks against the model.
 */
export function formToEditInput(body: MultipartBody): Record<string, unknown> {
  const input = formFieldsToInput(body.fields);
  const { images, masks } = sortFiles(body.files);
  if (images.length === 0) {
    throw validationError('image', "Send at least one image file as 'image' (or 'image[]').");
  }
  if (images.length > MAX_EDIT_IMAGES) {
    throw validationError(
      'image',
      `${images.length} images were sent; an edit takes at most ${MAX_EDIT_IMAGES} input images.`,
    );
  }
  if (masks.length > 1) throw validationError('mask', `${masks.length} masks were sent; send at most one.`);
  // One file sent as `image` stays one image (errors name `image`); `image[]` files are a list.
  const single = images.length === 1 && images[0]!.field === 'image';
  input.image = single ? toSource(images[0]!) : images.map(toSource);
  if (masks[0]) input.mask = toSource(masks[0]);
  return input;
}

/** A multipart variation (one `image`, dall-e-2 semantics: no prompt, no mask) as the request object. */
export function formToVariationInput(body: MultipartBody): Record<string, unknown> {
  const input = formFieldsToInput(body.fields);
  const { images, masks } = sortFiles(body.files);
  if (masks.length > 0) throw validationError('mask', 'A variation takes no mask; send only the image.');
  if (images.length !== 1) {
    throw validationError(
      'image',
      images.length === 0
        ? "Send the image to vary as the file field 'image'."
        : `${images.length} images were sent; a variation takes exactly one.`,
    );
  }
  input.image = toSource(images[0]!);
  return input;
}

/** The file_id refusal: pixelgate has no files API to look ids up in. */
function noFilesApi(field: string): GatewayError {
  return validationError(
    field,
    `'${field}' names a file_id, but this server has no files API; send the image itself as a data: URL in image_url (or upload it as multipart/form-data).`,
  );
}

/** One `{ image_url }` reference of the JSON form as the data URL it carries. */
function imageUrlOf(field: string, reference: unknown): string {
  if (typeof reference !== 'object' || reference === null || Array.isArray(reference)) {
    throw validationError(
      field,
      `'${field}' must be an object such as { "image_url": "data:image/png;base64,..." }.`,
    );
  }
  const { image_url: url, file_id: fileId, ...rest } = reference as Record<string, unknown>;
  if (fileId !== undefined) throw noFilesApi(`${field}.file_id`);
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw validationError(
      `${field}.${unknown[0]}`,
      `Unknown field '${unknown[0]}' in '${field}'; send image_url.`,
    );
  }
  if (typeof url !== 'string' || !url.startsWith('data:')) {
    throw validationError(
      `${field}.image_url`,
      `'${field}.image_url' must be a data: URL (data:image/png;base64,...); this server does not fetch images from the web.`,
    );
  }
  return url;
}

/**
 * The JSON form of an edit, as OpenAI's JSON body has it: `images: [{ image_url }]` and
 * `mask: { image_url }` with data URLs, mapped to the same request object as the multipart form.
 * A `file_id` is refused (no files API). A body already in the request's own shape passes as is.
 */
export function jsonToEditInput(body: Record<string, unknown>): Record<string, unknown> {
  const { images, mask, ...rest } = body;
  if (images === undefined && (mask === undefined || typeof mask === 'string')) return body;
  const input: Record<string, unknown> = { ...rest };
  if (images !== undefined) {
    if (rest.image !== undefined)
      throw validationError('images', "Send either 'images' or 'image', not both.");
    if (!Array.isArray(images) || images.length === 0) {
      throw validationError('images', "'images' must be a list of { image_url } objects (1 to 16).");
    }
    if (images.length > MAX_EDIT_IMAGES) {
      throw validationError(
        'images',
        `${images.length} images were sent; an edit takes at most ${MAX_EDIT_IMAGES} input images.`,
      );
    }
    input.image = images.map((reference, index) => imageUrlOf(`images[${index}]`, reference));
  }
  if (mask !== undefined) input.mask = typeof mask === 'string' ? mask : imageUrlOf('mask', mask);
  return input;
}
