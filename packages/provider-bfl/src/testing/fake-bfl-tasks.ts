/**
 * The fake BFL server's task book: what a submit asked for, and the state machine a poll walks
 * (Pending until the processing time has passed, then Ready or the outcome the scenario chose).
 */
import { randomBytes } from 'node:crypto';
import type { ModelDescriptorInput } from '@pixelgate/core/spec';
import { type BflProviderData, bflModels } from '../bfl-catalog.ts';

/** How a task ends once its processing time has passed. */
export type FakeBflOutcome = 'Ready' | 'Request Moderated' | 'Content Moderated' | 'Error' | 'Task not found';

/** One submitted task. */
export interface FakeBflTask {
  id: string;
  endpoint: string;
  prompt: string;
  width: number;
  height: number;
  format: 'png' | 'jpeg';
  seed: number;
  /** When polling first shows the outcome (epoch ms). */
  readyAt: number;
  outcome: FakeBflOutcome;
  /** Token of the result URL on the CDN server. */
  token: string;
  /** How many times it was polled. */
  polls: number;
  /** Polls still to answer with 429 before answering normally. */
  pollRateLimits: number;
  /** The next poll answers with a body that is not JSON. */
  pollMalformed: boolean;
  /** The result URL points to a host nobody allowed. */
  foreignResultHost: boolean;
  /** The result URL has already expired when the task is Ready. */
  resultExpired: boolean;
}

/** A model the fake serves, keyed by endpoint. */
export interface FakeBflEndpoint {
  id: string;
  data: BflProviderData;
  model: ModelDescriptorInput;
}

/** The endpoints of the built-in catalog (the fake checks sizes by the same rules as the plugin). */
export function fakeBflEndpoints(extra: ModelDescriptorInput[] = []): Map<string, FakeBflEndpoint> {
  const map = new Map<string, FakeBflEndpoint>();
  for (const model of [...bflModels(), ...extra]) {
    const data = model.providerData as BflProviderData;
    map.set(data.endpoint, { id: model.id, data: { ...data, options: data.options ?? [] }, model });
  }
  return map;
}

/** A fresh task id in BFL's shape (a UUID-like string). */
export function newTaskId(): string {
  const hex = randomBytes(16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Where a poll of `task` stands at `now`. */
export function taskStatus(task: FakeBflTask, now: number): 'Pending' | FakeBflOutcome {
  return now < task.readyAt ? 'Pending' : task.outcome;
}

/**
 * Checks a submit body against the endpoint's rules. Returns the FastAPI-style 422 detail of the
 * first problem, or the size to draw.
 */
export function checkSubmit(
  body: Record<string, unknown>,
  endpoint: FakeBflEndpoint,
): { problem: { loc: string[]; msg: string } } | { width: number; height: number; format: 'png' | 'jpeg' } {
  const fail = (field: string, msg: string) => ({ problem: { loc: ['body', field], msg } });
  if (typeof body.prompt !== 'string' || body.prompt.length === 0) return fail('prompt', 'Field required');
  const format = body.output_format ?? 'jpeg';
  if (format !== 'png' && format !== 'jpeg') return fail('output_format', "Input should be 'jpeg' or 'png'");
  if (
    body.safety_tolerance !== undefined &&
    !(
      Number.isInteger(body.safety_tolerance) &&
      (body.safety_tolerance as number) >= 0 &&
      (body.safety_tolerance as number) <= 6
    )
  ) {
    return fail('safety_tolerance', 'Input should be less than or equal to 6');
  }
  const known = [
    'prompt',
    'output_format',
    'safety_tolerance',
    'seed',
    'width',
    'height',
    'aspect_ratio',
    ...endpoint.data.options,
  ];
  const unknown = Object.keys(body).find((key) => !known.includes(key));
  if (unknown) return fail(unknown, 'Extra inputs are not permitted');
  const capabilities = endpoint.model.capabilities;
  if (endpoint.data.sizing === 'aspect_ratio') {
    const ratio = String(body.aspect_ratio ?? '1:1');
    const size = capabilities.aspectRatios?.[ratio];
    if (!size) return fail('aspect_ratio', `Unsupported aspect ratio '${ratio}'`);
    const [width, height] = size.split('x').map(Number) as [number, number];
    return { width, height, format };
  }
  const rule = capabilities.sizeRule!;
  for (const side of ['width', 'height'] as const) {
    const value = body[side] ?? 1024;
    if (typeof value !== 'number' || !Number.isInteger(value))
      return fail(side, 'Input should be a valid integer');
    if (value % (rule.multipleOf ?? 1) !== 0)
      return fail(side, `Input should be a multiple of ${rule.multipleOf}`);
    if (value < rule.minSide || value > rule.maxSide)
      return fail(side, `Input should be between ${rule.minSide} and ${rule.maxSide}`);
  }
  return {
    width: (body.width as number | undefined) ?? 1024,
    height: (body.height as number | undefined) ?? 1024,
    format,
  };
}
