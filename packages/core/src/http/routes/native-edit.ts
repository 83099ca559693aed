import { toNativeResponse } from '../generation-reply.ts';
import { formToEditInput, jsonToEditInput } from '../image-form.ts';
import type { HttpParts, Route } from '../route.ts';
import { readUploadInput } from '../upload-body.ts';
import { createGenerationRoute } from './generation-route.ts';
import { checkQualifiedModel } from './native-generate.ts';

/**
 * `POST {prefix}/v1/inference/images/edit`: the native edit, multipart or JSON like
 * `/v1/images/edits`, with provider-qualified model ids, `metadata` echoed back and the native
 * envelope; `stream: true` answers server-sent events.
 */
export function nativeEditRoute(parts: HttpParts): Route {
  return createGenerationRoute(parts, {
    name: 'inference.images.edit',
    path: '/v1/inference/images/edit',
    style: 'native',
    operation: 'edit',
    source: 'http:native',
    read: (context) =>
      readUploadInput(parts, context, { fromForm: formToEditInput, fromJson: jsonToEditInput }),
    check: (body) => checkQualifiedModel(parts.gateway, body.model),
    render: (result, body) => toNativeResponse(result, body.metadata),
  });
}
