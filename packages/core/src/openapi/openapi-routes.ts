import { z } from 'zod';
import { imageRequestSchema } from '../request/image-request.ts';
import {
  modelListSchema,
  modelObjectSchema,
  nativeGenerationResponseSchema,
  openAIImagesResponseSchema,
} from './response-schemas.ts';

/** Which error envelope a route answers with. */
export type RouteStyle = 'openai' | 'native' | 'none';

/** One documented response of a route. */
export interface RouteResponseDoc {
  description: string;
  /** JSON body schema; absent for bodies that are not JSON. */
  schema?: z.ZodType;
  /** Non-JSON content types (an image, an event stream, HTML). */
  contentTypes?: string[];
  /** Names of headers from the shared header components. */
  headers?: string[];
}

/**
 * One route of the HTTP surface, described as data. Every route file adds its entry here, and the
 * OpenAPI document and the contract tests are generated from this list.
 */
export interface RouteDoc {
  method: 'get' | 'post' | 'delete' | 'head';
  /** Path with `{param}` placeholders, without the deployment's prefix. */
  path: string;
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  style: RouteStyle;
  /** Whether an API key is required. */
  authenticated: boolean;
  parameters?: Array<{
    name: string;
    in: 'path' | 'query' | 'header';
    description: string;
    required: boolean;
  }>;
  requestBody?: { schema: z.ZodType; description: string };
  /** Success responses by status. */
  responses: Record<string, RouteResponseDoc>;
  /** Error statuses this route can answer (rendered in the route's envelope). */
  errors: number[];
}

const RATE_LIMITED = [
  'x-request-id',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
];

/** The routes `createHttpHandler` serves, as data. */
export const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/images/generations',
    operationId: 'createImage',
    summary: 'Generate images (OpenAI-compatible)',
    description:
      "OpenAI's images.generate: the official OpenAI SDKs work unchanged. Every value is checked against the model's capabilities before any provider is called; warnings (coercions, fallbacks, partial results) travel in x-pixelgate-warnings.",
    tags: ['Images'],
    style: 'openai',
    authenticated: true,
    requestBody: { schema: imageRequestSchema, description: 'The generation request.' },
    responses: {
      '200': {
        description: "OpenAI's ImagesResponse.",
        schema: openAIImagesResponseSchema,
        headers: [...RATE_LIMITED, 'x-pixelgate-model', 'x-pixelgate-warnings'],
      },
    },
    errors: [400, 401, 403, 404, 405, 410, 413, 415, 422, 429, 500, 502, 503, 504],
  },
  {
    method: 'post',
    path: '/v1/inference/images/generate',
    operationId: 'generateImageNative',
    summary: 'Generate images (native)',
    description:
      'The native generation route: provider-qualified model ids (provider/model), metadata echoed back, and the warnings, labels, cost and request id in the body.',
    tags: ['Images'],
    style: 'native',
    authenticated: true,
    requestBody: {
      schema: imageRequestSchema,
      description: 'The generation request; `model` must be provider/model.',
    },
    responses: {
      '200': {
        description: 'The images with everything pixelgate knows about them.',
        schema: nativeGenerationResponseSchema,
        headers: [...RATE_LIMITED, 'x-pixelgate-model', 'x-pixelgate-warnings'],
      },
    },
    errors: [400, 401, 403, 404, 405, 410, 413, 415, 422, 429, 500, 502, 503, 504],
  },
  {
    method: 'get',
    path: '/v1/models',
    operationId: 'listModels',
    summary: 'List the models this caller may use',
    description:
      "OpenAI's model list, with each model's capabilities, defaults, lifecycle and prices under `pixelgate`.",
    tags: ['Models'],
    style: 'openai',
    authenticated: true,
    responses: { '200': { description: 'The models.', schema: modelListSchema, headers: ['x-request-id'] } },
    errors: [401, 405, 500],
  },
  {
    method: 'get',
    path: '/v1/models/{model}',
    operationId: 'retrieveModel',
    summary: 'One model',
    description: 'One model by provider/model id (URL-encoded) or by an unambiguous name or alias.',
    tags: ['Models'],
    style: 'openai',
    authenticated: true,
    parameters: [{ name: 'model', in: 'path', description: 'provider/model, URL-encoded.', required: true }],
    responses: { '200': { description: 'The model.', schema: modelObjectSchema, headers: ['x-request-id'] } },
    errors: [401, 404, 405, 500],
  },
  {
    method: 'get',
    path: '/v1/media/{token}',
    operationId: 'getMedia',
    summary: 'A stored image behind a signed, expiring token',
    description:
      'The token is the credential: it is valid until its expiry and reveals nothing else. Supports HEAD, a single Range (206/416) and If-None-Match (304). An invalid, expired or unknown token is the same 404.',
    tags: ['Media'],
    style: 'none',
    authenticated: false,
    parameters: [
      { name: 'token', in: 'path', description: 'The token from a url response.', required: true },
    ],
    responses: {
      '200': {
        description: 'The image.',
        contentTypes: ['image/png', 'image/jpeg', 'image/webp'],
        headers: ['x-request-id'],
      },
      '206': {
        description: 'A byte range of the image.',
        contentTypes: ['image/png', 'image/jpeg', 'image/webp'],
      },
      '304': { description: 'Not modified (If-None-Match matched).' },
      '404': { description: 'Invalid, expired or unknown token (always the same answer).' },
      '416': { description: 'The range cannot be served.' },
    },
    errors: [],
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    description:
      'The OpenAPI 3.1 document of this server, generated from the schemas that validate its requests.',
    tags: ['Service'],
    style: 'openai',
    authenticated: false,
    responses: {
      '200': {
        description: 'The document.',
        schema: z.looseObject({ openapi: z.literal('3.1.0') }),
        headers: ['x-request-id'],
      },
    },
    errors: [405],
  },
];
