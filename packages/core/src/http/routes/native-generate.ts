import { GatewayError } from '../../errors/gateway-error.ts';
import type { Gateway } from '../../gateway/create-gateway.ts';
import { qualifiedModelId } from '../../models/model-descriptor.ts';
import { toNativeResponse } from '../generation-reply.ts';
import type { HttpParts, Route } from '../route.ts';
import { createGenerationRoute } from './generation-route.ts';

/**
 * The native route names models by `provider/model`, so a request is never routed by an alias
 * that might later point elsewhere. An unqualified name gets a message with the qualified id.
 */
export function checkQualifiedModel(gateway: Gateway, model: unknown): void {
  if (typeof model !== 'string' || model.includes('/')) return;
  let suggestion = '';
  try {
    suggestion = ` such as '${qualifiedModelId(gateway.registry.resolve(model).model)}'`;
  } catch {
    suggestion = '';
  }
  throw new GatewayError(
    'VALIDATION_ERROR',
    `The native route takes provider-qualified model ids (provider/model)${suggestion}; GET /v1/models lists them.`,
    { param: 'model' },
  );
}

/**
 * `POST {prefix}/v1/inference/images/generate`: native; provider-qualified model ids, metadata
 * echoed back, warnings, labels, cost and request id in the body, native error envelope.
 */
export function nativeGenerateRoute(parts: HttpParts): Route {
  return createGenerationRoute(parts, {
    name: 'inference.images.generate',
    path: '/v1/inference/images/generate',
    style: 'native',
    source: 'http:native',
    check: (body) => checkQualifiedModel(parts.gateway, body.model),
    render: (result, body) => toNativeResponse(result, body.metadata),
  });
}
