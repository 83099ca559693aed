import type { RouteDoc } from '@pixelgate/core';
import { imageRequestSchema } from '@pixelgate/core/spec';
import { z } from 'zod';
import { jobOperationSchema, jobViewSchema } from './job-schemas.ts';

/**
 * `POST /v1/inference/images/jobs`: a generation body, or an edit body (`"operation": "edit"`,
 * images as data URLs), plus an optional `webhook_url`. The generation fields are documented in
 * full; an edit's fields are those of `POST /v1/inference/images/edit` in its JSON form.
 */
const jobRequestSchema = imageRequestSchema
  .extend({
    operation: jobOperationSchema.optional().describe('`generate` (default) or `edit`.'),
    webhook_url: z.string().optional().describe('An https URL that receives the job events, signed.'),
  })
  .loose()
  .describe('A generation or edit body, checked in full before the 202.');

const jobIdParameter = {
  name: 'id',
  in: 'path' as const,
  description: 'The job id from the 202 answer.',
  required: true,
};

/** The job routes, for the OpenAPI document (`createHttpHandler({ extraRouteDocs })`). */
export const JOBS_ROUTE_DOCS: RouteDoc[] = [
  {
    method: 'post',
    path: '/v1/inference/images/jobs',
    operationId: 'createImageJob',
    summary: 'Run a generation or an edit as a durable job',
    description:
      'Answers 202 with the job and a Location once the request passed validation, access, capabilities, input guardrails and the budget hold; a refusal is the normal error with its audit record.',
    tags: ['Jobs'],
    style: 'native',
    authenticated: true,
    requestBody: { schema: jobRequestSchema, description: 'The request to run.' },
    responses: {
      '202': { description: 'The queued job.', schema: jobViewSchema, headers: ['x-request-id'] },
    },
    errors: [400, 401, 402, 404, 405, 410, 413, 415, 429, 500],
  },
  {
    method: 'get',
    path: '/v1/inference/images/jobs/{id}',
    operationId: 'getImageJob',
    summary: 'A job: status, events so far and the result',
    description: "Another tenant's job answers 404, as a missing one does.",
    tags: ['Jobs'],
    style: 'native',
    authenticated: true,
    parameters: [jobIdParameter],
    responses: { '200': { description: 'The job.', schema: jobViewSchema, headers: ['x-request-id'] } },
    errors: [401, 404, 405, 500],
  },
  {
    method: 'delete',
    path: '/v1/inference/images/jobs/{id}',
    operationId: 'cancelImageJob',
    summary: 'Cancel a job, aborting its provider call',
    description: 'A queued job never runs and costs nothing; a running one has its provider call aborted.',
    tags: ['Jobs'],
    style: 'native',
    authenticated: true,
    parameters: [jobIdParameter],
    responses: {
      '200': { description: 'The cancelled job.', schema: jobViewSchema, headers: ['x-request-id'] },
    },
    errors: [401, 404, 405, 500],
  },
];
