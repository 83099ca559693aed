import { toOpenAIImagesBody } from '../openai-images.ts';
import type { HttpParts, Route } from '../route.ts';
import { createGenerationRoute } from './generation-route.ts';

/**
 * `POST {prefix}/v1/images/generations`: OpenAI-compatible; request, response and error shapes
 * are OpenAI's, so OpenAI SDKs work unchanged (their `baseURL` at `{origin}{prefix}/v1`).
 */
export function generationsRoute(parts: HttpParts): Route {
  return createGenerationRoute(parts, {
    name: 'images.generations',
    path: '/v1/images/generations',
    style: 'openai',
    source: 'http:openai',
    render: (result, body) => toOpenAIImagesBody(result, body),
  });
}
