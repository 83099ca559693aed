import { toNativeResponse } from '../generation-reply.ts';
import { formToVariationInput } from '../image-form.ts';
import type { HttpParts, Route } from '../route.ts';
import { readUploadInput } from '../upload-body.ts';
import { createGenerationRoute } from './generation-route.ts';
import { checkQualifiedModel } from './native-generate.ts';

/**
 * `POST {prefix}/v1/inference/images/variation`: the native variation, multipart or JSON, with
 * provider-qualified model ids, `metadata` echoed back and the native envelope.
 */
export function nativeVariationRoute(parts: HttpParts): Route {
  return createGenerationRoute(parts, {
    name: 'inference.images.variation',
    path: '/v1/inference/images/variation',
    style: 'native',
    operation: 'variation',
    source: 'http:native',
    read: (context) =>
      readUploadInput(parts, context, { fromForm: formToVariationInput, fromJson: (body) => body }),
    check: (body) => checkQualifiedModel(parts.gateway, body.model),
    render: (result, body) => toNativeResponse(result, body.metadata),
  });
}
