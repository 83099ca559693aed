import { z } from 'zod';
import { ROUTE_DOCS, type RouteDoc, type RouteResponseDoc } from './openapi-routes.ts';
import { nativeErrorEnvelopeSchema, openAIErrorEnvelopeSchema } from './response-schemas.ts';

/** Options of {@link buildOpenApiDocument}. */
export interface OpenApiDocumentOptions {
  /** Path prefix the routes are mounted under (the handler's `pathPrefix`). */
  pathPrefix?: string;
  /** Absolute server URL to list under `servers`; omitted, clients use the document's own origin. */
  serverUrl?: string;
  /** Version string of the document (default: the core package's). */
  version?: string;
  /** Extra routes served next to the built-in ones (for example a console's). */
  extraRoutes?: RouteDoc[];
}

/** A JSON object (the generated document). */
export type OpenApiDocument = Record<string, unknown>;

const HEADER_DOCS: Record<string, { description: string; schema: Record<string, unknown> }> = {
  'x-request-id': {
    description:
      'The request id, also in the audit record. A caller may send its own (1-128 of A-Z a-z 0-9 . _ : -).',
    schema: { type: 'string' },
  },
  'x-ratelimit-limit-requests': {
    description: 'The tightest request limit that applies.',
    schema: { type: 'string' },
  },
  'x-ratelimit-remaining-requests': {
    description: 'Requests left in the window.',
    schema: { type: 'string' },
  },
  'x-ratelimit-reset-requests': {
    description: 'Time until the window frees room, like 1s or 6m0s.',
    schema: { type: 'string' },
  },
  'x-ratelimit-limit-images': {
    description: 'The tightest image limit that applies.',
    schema: { type: 'string' },
  },
  'x-ratelimit-remaining-images': { description: 'Images left in the window.', schema: { type: 'string' } },
  'x-ratelimit-reset-images': {
    description: 'Time until the image window frees room.',
    schema: { type: 'string' },
  },
  'x-pixelgate-model': {
    description: 'The model that really answered (provider/id), after any fallback.',
    schema: { type: 'string' },
  },
  'x-pixelgate-warnings': {
    description:
      'Every warning (coercions, fallbacks, partial results) as a URI-encoded JSON array of messages.',
    schema: { type: 'string' },
  },
  'Retry-After': {
    description: 'Seconds to wait before retrying (429, and retryable 5xx).',
    schema: { type: 'string' },
  },
  'retry-after-ms': { description: 'The same wait in milliseconds.', schema: { type: 'string' } },
};

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_ERROR: a value the model does not accept, named in `param`, with what is accepted.',
  401: 'AUTHENTICATION_ERROR: no key, or a key that is not valid.',
  403: 'MODEL_ACCESS_DENIED: the caller may not use this model.',
  404: 'MODEL_NOT_FOUND or NOT_FOUND.',
  405: 'The method is not allowed on this route (see Allow).',
  410: 'MODEL_RETIRED: the model is retired; the message names its replacement.',
  413: 'PAYLOAD_TOO_LARGE: the body, or one uploaded file (named in `param`), is over the limit.',
  415: 'VALIDATION_ERROR: the body is not of a type this route takes (application/json; multipart/form-data on the upload routes).',
  422: 'CONTENT_BLOCKED, or the provider filtered the content.',
  429: 'RATE_LIMITED or BUDGET_EXCEEDED, with Retry-After where waiting helps.',
  500: 'INTERNAL_ERROR: see the server logs with the request id.',
  502: 'BACKEND_ERROR: the provider failed; `details.reason` says how.',
  503: 'BACKEND_ERROR (unavailable) or STORAGE_ERROR.',
  504: 'TIMEOUT: the request deadline passed.',
};

/**
 * Builds the OpenAPI 3.1 document of the HTTP surface from the same zod schemas that validate
 * requests and describe responses, so the document cannot drift from the code.
 */
export function buildOpenApiDocument(options: OpenApiDocumentOptions = {}): OpenApiDocument {
  const prefix = options.pathPrefix ?? '';
  const schemas: Record<string, unknown> = {
    OpenAIError: toSchema(openAIErrorEnvelopeSchema, 'output'),
    NativeError: toSchema(nativeErrorEnvelopeSchema, 'output'),
  };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of [...ROUTE_DOCS, ...(options.extraRoutes ?? [])]) {
    const path = `${prefix}${route.path}`;
    paths[path] ??= {};
    paths[path][route.method] = operationOf(route, schemas);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'pixelgate',
      version: options.version ?? '0.1.0',
      description:
        'Compliant image generation through many providers: OpenAI-compatible routes, native routes, models and media. Every request is validated against the model, scanned, budgeted and audited.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    tags: [
      { name: 'Images', description: 'Image generation, edits, variations and streamed partial images.' },
      { name: 'Models', description: 'What each model can do.' },
      { name: 'Media', description: 'Stored images behind signed URLs.' },
      { name: 'Service', description: 'The document itself and the console.' },
    ],
    paths,
    components: {
      schemas,
      headers: Object.fromEntries(Object.entries(HEADER_DOCS).map(([name, doc]) => [headerKey(name), doc])),
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <API key> (what OpenAI SDKs send).',
        },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}

function operationOf(route: RouteDoc, schemas: Record<string, unknown>): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = responseOf(route, status, response, schemas);
  }
  const errorSchema = route.style === 'native' ? 'NativeError' : 'OpenAIError';
  for (const status of route.errors) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'An error.',
      headers: headerRefs(
        status === 429 ? ['x-request-id', 'Retry-After', 'retry-after-ms'] : ['x-request-id'],
      ),
      content: { 'application/json': { schema: { $ref: `#/components/schemas/${errorSchema}` } } },
    };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: route.description,
    tags: route.tags,
    security: route.authenticated ? [{ bearerAuth: [] }, { apiKeyHeader: [] }] : [],
    parameters: [
      ...(route.parameters ?? []).map((parameter) => ({ ...parameter, schema: { type: 'string' } })),
      {
        name: 'x-request-id',
        in: 'header',
        required: false,
        description: 'Reuse your own request id (1-128 of A-Z a-z 0-9 . _ : -).',
        schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
      },
    ],
    ...(route.requestBody
      ? {
          requestBody: {
            required: true,
            description: route.requestBody.description,
            content: {
              'application/json': {
                schema: schemaRef(
                  `${capitalize(route.operationId)}Request`,
                  route.requestBody.schema,
                  'input',
                  schemas,
                ),
              },
              ...(route.requestBody.multipart
                ? { 'multipart/form-data': { schema: route.requestBody.multipart } }
                : {}),
            },
          },
        }
      : {}),
    responses,
  };
}

function responseOf(
  route: RouteDoc,
  status: string,
  response: RouteResponseDoc,
  schemas: Record<string, unknown>,
): Record<string, unknown> {
  const content: Record<string, unknown> = {};
  if (response.schema) {
    content['application/json'] = {
      schema: schemaRef(
        `${capitalize(route.operationId)}Response${status === '200' ? '' : status}`,
        response.schema,
        'output',
        schemas,
      ),
    };
  }
  for (const type of response.contentTypes ?? []) {
    content[type] =
      type === 'text/event-stream' && response.eventSchema
        ? {
            schema: {
              type: 'string',
              contentMediaType: type,
              description: 'Server-sent events; the data line of each is one ImageStreamEvent (JSON).',
            },
            'x-event-schema': schemaRef('ImageStreamEvent', response.eventSchema, 'output', schemas),
          }
        : { schema: { type: 'string', contentMediaType: type } };
  }
  return {
    description: response.description,
    ...(response.headers ? { headers: headerRefs(response.headers) } : {}),
    ...(Object.keys(content).length > 0 ? { content } : {}),
  };
}

function schemaRef(
  name: string,
  schema: z.ZodType,
  io: 'input' | 'output',
  schemas: Record<string, unknown>,
) {
  schemas[name] ??= toSchema(schema, io);
  return { $ref: `#/components/schemas/${name}` };
}

function toSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return json;
}

function headerRefs(names: string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, { $ref: `#/components/headers/${headerKey(name)}` }]));
}

/** Component keys must match ^[a-zA-Z0-9._-]+$, which header names already do. */
function headerKey(name: string): string {
  return name;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
