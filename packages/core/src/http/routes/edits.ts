import { formToEditInput, jsonToEditInput } from '../image-form.ts';
import { toOpenAIImagesBody } from '../openai-images.ts';
import type { HttpParts, Route } from '../route.ts';
import { readUploadInput } from '../upload-body.ts';
import { createGenerationRoute } from './generation-route.ts';

/**
 * `POST {prefix}/v1/images/edits`: OpenAI's images.edit, as the official SDKs send it
 * (multipart: `image` or repeated `image[]`, `mask`, text fields) or as JSON (`images: [{
 * image_url }]` with data URLs); `stream: true` answers server-sent events.
 */
export function editsRoute(parts: HttpParts): Route {
  return createGenerationRoute(parts, {
    name: 'images.edits',
    path: '/v1/images/edits',
    style: 'openai',
    operation: 'edit',
    source: 'http:openai',
    read: (context) =>
      readUploadInput(parts, context, { fromForm: formToEditInput, fromJson: jsonToEditInput }),
    render: (result, body) => toOpenAIImagesBody(result, body),
  });
}
