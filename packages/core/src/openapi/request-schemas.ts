import { z } from 'zod';
import {
  imageEditRequestSchema,
  imageVariationRequestSchema,
  MAX_EDIT_IMAGES,
} from '../request/image-edit-request.ts';

/**
 * The request bodies of the upload routes as the HTTP surface takes them. The JSON bodies are the
 * request schemas with images as data URLs (and OpenAI's `images: [{ image_url }]` form); the
 * multipart forms are written as JSON Schema, since their files are binary parts that zod does
 * not describe.
 */

const dataUrl = z.string().describe('A data: URL (data:image/png;base64,...); web URLs are not fetched.');
const imageReference = z.strictObject({
  image_url: dataUrl,
  file_id: z.string().optional().describe('Refused: this server has no files API.'),
});

/** The JSON body of an edit: `image` as data URLs, or OpenAI's `images: [{ image_url }]`. */
export const editJsonBodySchema = imageEditRequestSchema.extend({
  image: z.union([dataUrl, z.array(dataUrl).min(1).max(MAX_EDIT_IMAGES)]).optional(),
  images: z
    .array(imageReference)
    .min(1)
    .max(MAX_EDIT_IMAGES)
    .optional()
    .describe("OpenAI's JSON form of the input images."),
  mask: z.union([dataUrl, imageReference]).optional(),
});

/** The JSON body of a variation: the image as a data URL. */
export const variationJsonBodySchema = imageVariationRequestSchema.extend({ image: dataUrl });

const binary = { type: 'string', contentMediaType: 'application/octet-stream' };

/** The text fields of a form: every field of the JSON body but the images, as form text. */
function textFieldsOf(schema: z.ZodType, files: string[]): Record<string, unknown> {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, Record<string, unknown>>;
  };
  const fields: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(json.properties ?? {})) {
    if (files.includes(name) || name === 'images') continue;
    const isObject = property.type === 'object';
    fields[name] = isObject
      ? { type: 'string', description: `${String(property.description ?? name)} Sent as JSON text.` }
      : property;
  }
  return fields;
}

/** The multipart form of an edit, as the official SDKs send it. */
export const editMultipartSchema: Record<string, unknown> = {
  type: 'object',
  required: ['prompt'],
  properties: {
    image: {
      description: `The image to edit, or each of several (up to ${MAX_EDIT_IMAGES}) repeated as image[].`,
      ...binary,
    },
    'image[]': { type: 'array', maxItems: MAX_EDIT_IMAGES, items: binary },
    mask: { description: 'Where to edit the first image: the same size as that image.', ...binary },
    ...textFieldsOf(imageEditRequestSchema, ['image', 'mask']),
  },
};

/** The multipart form of a variation. */
export const variationMultipartSchema: Record<string, unknown> = {
  type: 'object',
  required: ['image'],
  properties: {
    image: { description: 'The image to vary.', ...binary },
    ...textFieldsOf(imageVariationRequestSchema, ['image']),
  },
};
