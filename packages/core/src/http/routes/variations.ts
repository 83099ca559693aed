import { formToVariationInput } from '../image-form.ts';
import { toOpenAIImagesBody } from '../openai-images.ts';
import type { HttpParts, Route } from '../route.ts';
import { readUploadInput } from '../upload-body.ts';
import { createGenerationRoute } from './generation-route.ts';

/**
 * `POST {prefix}/v1/images/variations`: OpenAI's images.createVariation (dall-e-2 semantics: one
 * image, no prompt), multipart as the SDKs send it, or JSON with the image as a data URL.
 */
export function variationsRoute(parts: HttpParts): Route {
  return createGenerationRoute(parts, {
    name: 'images.variations',
    path: '/v1/images/variations',
    style: 'openai',
    operation: 'variation',
    source: 'http:openai',
    read: (context) =>
      readUploadInput(parts, context, { fromForm: formToVariationInput, fromJson: (body) => body }),
    render: (result, body) => toOpenAIImagesBody(result, body),
  });
}
