import { z } from 'zod';
import { imageRequestSchema } from '../request/image-request.ts';
import {
  editJsonBodySchema,
  editMultipartSchema,
  variationJsonBodySchema,
  variationMultipartSchema,
} from './request-schemas.ts';
import {
  imageStreamEventSchema,
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
  /** For `text/event-stream`: the schema of each event's `data` line. */
  eventSchema?: z.ZodType;
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
  requestBody?: {
    schema: z.ZodType;
    description: string;
    /** A `multipart/form-data` form of the same request (a JSON Schema with binary file fields). */
    multipart?: Record<string, unknown>;
  };
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

const IMAGE_ERRORS = [400, 401, 403, 404, 405, 410, 413, 415, 422, 429, 500, 502, 503, 504];

const STREAM_NOTE =
  ' With `stream: true` the answer is `text/event-stream`: partial images, one completed event per image, or one `error` event if the request fails after the stream began. Validation, access, guardrails and the budget are checked before the first byte, so a refusal is a normal JSON error.';

/** The 200 of a route that may stream: JSON, or the events. */
function imagesOrStream(description: string, schema: z.ZodType): RouteResponseDoc {
  return {
    description: `${description} Or, with stream: true, server-sent events.`,
    schema,
    contentTypes: ['text/event-stream'],
    eventSchema: imageStreamEventSchema,
    headers: [...RATE_LIMITED],
  };
}

/** The upload routes (edits and variations), OpenAI-compatible and native. */
const UPLOAD_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/images/edits',
    operationId: 'createImageEdit',
    summary: 'Edit images (OpenAI-compatible)',
    description: `OpenAI's images.edit: multipart/form-data exactly as the official SDKs send it (\`image\` or repeated \`image[]\`, up to 16, an optional \`mask\`), or JSON with \`images: [{ image_url }]\` as data URLs (a \`file_id\` is refused: there is no files API). Files over the server's upload limits are refused while they stream in (413); each image is then checked against the model.${STREAM_NOTE}`,
    tags: ['Images'],
    style: 'openai',
    authenticated: true,
    requestBody: {
      schema: editJsonBodySchema,
      description: 'The edit request.',
      multipart: editMultipartSchema,
    },
    responses: { '200': imagesOrStream("OpenAI's ImagesResponse.", openAIImagesResponseSchema) },
    errors: IMAGE_ERRORS,
  },
  {
    method: 'post',
    path: '/v1/images/variations',
    operationId: 'createImageVariation',
    summary: 'Variations of an image (OpenAI-compatible)',
    description:
      "OpenAI's images.createVariation (dall-e-2 semantics: one image, no prompt), multipart as the SDKs send it, or JSON with the image as a data URL.",
    tags: ['Images'],
    style: 'openai',
    authenticated: true,
    requestBody: {
      schema: variationJsonBodySchema,
      description: 'The variation request.',
      multipart: variationMultipartSchema,
    },
    responses: {
      '200': {
        description: "OpenAI's ImagesResponse.",
        schema: openAIImagesResponseSchema,
        headers: [...RATE_LIMITED, 'x-pixelgate-model', 'x-pixelgate-warnings'],
      },
    },
    errors: IMAGE_ERRORS,
  },
  {
    method: 'post',
    path: '/v1/inference/images/edit',
    operationId: 'editImageNative',
    summary: 'Edit images (native)',
    description: `The native edit: the same bodies as /v1/images/edits, provider-qualified model ids, \`metadata\` (a JSON object; a JSON text field in multipart) echoed back, the native envelope.${STREAM_NOTE}`,
    tags: ['Images'],
    style: 'native',
    authenticated: true,
    requestBody: {
      schema: editJsonBodySchema,
      description: 'The edit request; `model` must be provider/model.',
      multipart: editMultipartSchema,
    },
    responses: {
      '200': imagesOrStream(
        'The images with everything pixelgate knows about them.',
        nativeGenerationResponseSchema,
      ),
    },
    errors: IMAGE_ERRORS,
  },
  {
    method: 'post',
    path: '/v1/inference/images/variation',
    operationId: 'createImageVariationNative',
    summary: 'Variations of an image (native)',
    description:
      'The native variation: the same bodies as /v1/images/variations, provider-qualified model ids, `metadata` echoed back, the native envelope.',
    tags: ['Images'],
    style: 'native',
    authenticated: true,
    requestBody: {
      schema: variationJsonBodySchema,
      description: 'The variation request; `model` must be provider/model.',
      multipart: variationMultipartSchema,
    },
    responses: {
      '200': {
        description: 'The images with everything pixelgate knows about them.',
        schema: nativeGenerationResponseSchema,
        headers: [...RATE_LIMITED, 'x-pixelgate-model', 'x-pixelgate-warnings'],
      },
    },
    errors: IMAGE_ERRORS,
  },
];

/** The routes `createHttpHandler` serves, as data. */
export const ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/images/generations',
    operationId: 'createImage',
    summary: 'Generate images (OpenAI-compatible)',
    description: `OpenAI's images.generate: the official OpenAI SDKs work unchanged. Every value is checked against the model's capabilities before any provider is called; warnings (coercions, fallbacks, partial results) travel in x-pixelgate-warnings.${STREAM_NOTE}`,
    tags: ['Images'],
    style: 'openai',
    authenticated: true,
    requestBody: { schema: imageRequestSchema, description: 'The generation request.' },
    responses: { '200': imagesOrStream("OpenAI's ImagesResponse.", openAIImagesResponseSchema) },
    errors: [400, 401, 403, 404, 405, 410, 413, 415, 422, 429, 500, 502, 503, 504],
  },
  {
    method: 'post',
    path: '/v1/inference/images/generate',
    operationId: 'generateImageNative',
    summary: 'Generate images (native)',
    description: `The native generation route: provider-qualified model ids (provider/model), metadata echoed back, and the warnings, labels, cost and request id in the body.${STREAM_NOTE}`,
    tags: ['Images'],
    style: 'native',
    authenticated: true,
    requestBody: {
      schema: imageRequestSchema,
      description: 'The generation request; `model` must be provider/model.',
    },
    responses: {
      '200': imagesOrStream(
        'The images with everything pixelgate knows about them.',
        nativeGenerationResponseSchema,
      ),
    },
    errors: [400, 401, 403, 404, 405, 410, 413, 415, 422, 429, 500, 502, 503, 504],
  },
  ...UPLOAD_ROUTE_DOCS,
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
