import { GatewayError } from '../errors/gateway-error.ts';
import { abortErrorFrom } from '../shared/abort.ts';
import {
  type Guardrail,
  type GuardrailInput,
  type GuardrailVerdict,
  guardrailVerdictSchema,
  type RecordedVerdict,
} from './guardrail.ts';

/** Default time a guardrail may take before it counts as failed. */
export const DEFAULT_GUARDRAIL_TIMEOUT_MS = 5_000;

/** Longest verdict reason kept: reasons are summaries, not copies of the prompt. */
const MAX_REASON_LENGTH = 300;

/** Options of {@link runGuardrails}. */
export interface RunGuardrailsOptions {
  /** The request's signal: an abort stops the run with ABORTED/TIMEOUT (it is not a guardrail failure). */
  signal: AbortSignal;
  /** Called with each verdict as it is reached, in order (for events). */
  onVerdict?: (verdict: RecordedVerdict) => void;
  /** Time source for `durationMs` (default `performance.now`). */
  now?: () => number;
}

/** What a guardrail run decided. */
export interface GuardrailRunResult {
  /** Every verdict reached, in guardrail order (the blocking one last). */
  verdicts: RecordedVerdict[];
  /** The verdict that blocked, if any. */
  blocked?: RecordedVerdict;
  /** The prompt after every redaction (unchanged when nothing redacted). */
  prompt: string;
  /** The negative prompt after every redaction, when the input had one. */
  negativePrompt?: string;
  /** All labels of all verdicts, sorted and unique. */
  labels: string[];
}

class GuardrailTimeout extends Error {
  override name = 'GuardrailTimeout';
}

function sortedUnique(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort();
}

function failureVerdict(guardrail: Guardrail, kind: 'error' | 'timeout', detail: string): GuardrailVerdict {
  const closed = (guardrail.failMode ?? 'closed') === 'closed';
  return {
    action: closed ? 'block' : 'flag',
    labels: [`guardrail:${kind}`],
    reason: closed
      ? `Guardrail "${guardrail.id}" ${detail}; it fails closed, so the request is refused.`
      : `Guardrail "${guardrail.id}" ${detail}; it fails open, so the request went on.`,
  };
}

type CheckOutcome = { verdict: GuardrailVerdict } | { failure: 'error' | 'timeout'; detail: string };

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const VERDICT_KEYS = new Set([
  'action',
  'labels',
  'reason',
  'redactedPrompt',
  'redactedNegativePrompt',
  'score',
]);
const ACTIONS = new Set(['allow', 'flag', 'redact', 'block']);
const OPTIONAL_TEXTS = ['reason', 'redactedPrompt', 'redactedNegativePrompt'] as const;

/**
 * The verdict when it is a plain, valid one (what every built-in guardrail returns), checked by
 * hand: the zod schema is the slow path for anything unusual and the source of truth (a value this
 * accepts, the schema accepts with the same meaning).
 */
function plainVerdict(raw: unknown): GuardrailVerdict | undefined {
  if (typeof raw !== 'object' || raw === null || Object.getPrototypeOf(raw) !== Object.prototype)
    return undefined;
  const value = raw as Record<string, unknown>;
  for (const key of Object.keys(value)) if (!VERDICT_KEYS.has(key)) return undefined;
  if (!ACTIONS.has(value.action as string)) return undefined;
  const labels = value.labels;
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string')))
    return undefined;
  const verdict: GuardrailVerdict = {
    action: value.action as GuardrailVerdict['action'],
    labels: labels === undefined ? [] : [...(labels as string[])],
  };
  for (const key of OPTIONAL_TEXTS) {
    const text = value[key];
    if (text === undefined) continue;
    if (typeof text !== 'string') return undefined;
    verdict[key] = text;
  }
  const score = value.score;
  if (score !== undefined) {
    if (typeof score !== 'number' || !(score >= 0 && score <= 1)) return undefined;
    verdict.score = score;
  }
  return verdict;
}

function validVerdict(raw: unknown): CheckOutcome {
  let verdict = plainVerdict(raw);
  if (verdict === undefined) {
    const parsed = guardrailVerdictSchema.safeParse(raw);
    if (!parsed.success) return { failure: 'error', detail: 'returned an invalid verdict' };
    verdict = parsed.data;
  }
  if (
    verdict.action === 'redact' &&
    verdict.redactedPrompt === undefined &&
    verdict.redactedNegativePrompt === undefined
  ) {
    return { failure: 'error', detail: 'returned a redaction without a redacted prompt' };
  }
  return { verdict };
}

/** Runs one guardrail; a synchronous check is answered without a promise (no timer, no listener). */
function runOne(
  guardrail: Guardrail,
  input: GuardrailInput,
  signal: AbortSignal,
): CheckOutcome | Promise<CheckOutcome> {
  if (signal.aborted) throw abortErrorFrom(signal);
  // The guardrail's own controller is made on first use: creating an AbortController is costly in
  // Node 20, and synchronous guardrails rarely look at its signal.
  let controller: AbortController | undefined;
  const control = (): AbortController => {
    controller ??= new AbortController();
    return controller;
  };
  // Most guardrails (every built-in one) answer synchronously: nothing can time out or be aborted
  // while a synchronous check runs, so the timer, the abort listener and the race are only set up
  // for a check that returns a promise.
  let result: unknown;
  try {
    result = guardrail.check(input, {
      get signal() {
        return control().signal;
      },
    });
  } catch {
    return { failure: 'error', detail: 'failed with an error' };
  }
  if (!isPromiseLike(result)) return validVerdict(result);
  return awaitCheck(guardrail, result, control(), signal);
}

/** Waits for an asynchronous check, under its timeout and the request's signal. */
async function awaitCheck(
  guardrail: Guardrail,
  result: PromiseLike<unknown>,
  controller: AbortController,
  signal: AbortSignal,
): Promise<CheckOutcome> {
  const timeoutMs = guardrail.timeoutMs ?? DEFAULT_GUARDRAIL_TIMEOUT_MS;
  let rejectAborted: (error: unknown) => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    rejectAborted = reject;
  });
  const onAbort = () => {
    controller.abort(signal.reason);
    rejectAborted(abortErrorFrom(signal));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    if (signal.aborted) throw abortErrorFrom(signal);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new GuardrailTimeout(`timed out after ${timeoutMs} ms`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    // Swallow late rejections of the losers so they never surface as unhandled.
    timeout.catch(() => {});
    aborted.catch(() => {});
    const checking = Promise.resolve(result);
    checking.catch(() => {});
    return validVerdict(await Promise.race([checking, timeout, aborted]));
  } catch (error) {
    if (signal.aborted) throw abortErrorFrom(signal);
    if (error instanceof GuardrailTimeout) return { failure: 'timeout', detail: error.message };
    return { failure: 'error', detail: 'failed with an error' };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * Runs one stage's guardrails in their configured order, one after the other, so that the result
 * is deterministic and redactions chain (each guardrail sees the prompt as earlier ones left it).
 * Each guardrail has a timeout (default {@link DEFAULT_GUARDRAIL_TIMEOUT_MS}) and a fail mode: a
 * guardrail that throws, times out or returns a verdict that does not validate fails closed
 * (block, label `guardrail:error` or `guardrail:timeout`) or open (flag, same labels). A block
 * stops the run. The caller's abort is not a guardrail failure: it rejects with ABORTED/TIMEOUT.
 *
 * @throws GatewayError CONFIGURATION_ERROR when a guardrail of the other stage is passed in;
 *   ABORTED or TIMEOUT when `options.signal` fires.
 */
export async function runGuardrails(
  guardrails: ReadonlyArray<Guardrail>,
  input: GuardrailInput,
  options: RunGuardrailsOptions,
): Promise<GuardrailRunResult> {
  return runGuardrailsFast(guardrails, input, options);
}

/**
 * {@link runGuardrails} with a synchronous fast path: when every guardrail answers synchronously
 * (all the built-in ones do), the result is returned directly, without a promise or a tick;
 * otherwise a promise of it. Throws (synchronously or through the promise) what `runGuardrails`
 * rejects with.
 */
export function runGuardrailsFast(
  guardrails: ReadonlyArray<Guardrail>,
  input: GuardrailInput,
  options: RunGuardrailsOptions,
): GuardrailRunResult | Promise<GuardrailRunResult> {
  const now = options.now ?? (() => performance.now());
  for (const guardrail of guardrails) {
    if (guardrail.stage !== input.stage) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Guardrail "${guardrail.id}" is an ${guardrail.stage} guardrail and cannot run at the ${input.stage} stage.`,
      );
    }
  }
  const verdicts: RecordedVerdict[] = [];
  let prompt = input.prompt;
  let negativePrompt = input.negativePrompt;
  let blocked: RecordedVerdict | undefined;
  /** Records one guardrail's outcome; true when it blocked (the run stops). */
  const record = (guardrail: Guardrail, outcome: CheckOutcome, started: number): boolean => {
    const verdict =
      'verdict' in outcome ? outcome.verdict : failureVerdict(guardrail, outcome.failure, outcome.detail);
    if (verdict.action === 'redact') {
      if (verdict.redactedPrompt !== undefined) prompt = verdict.redactedPrompt;
      if (verdict.redactedNegativePrompt !== undefined && negativePrompt !== undefined) {
        negativePrompt = verdict.redactedNegativePrompt;
      }
    }
    const recorded: RecordedVerdict = {
      guardrail: guardrail.id,
      stage: guardrail.stage,
      action: verdict.action,
      labels: sortedUnique(verdict.labels),
      ...(verdict.reason === undefined ? {} : { reason: truncateReason(verdict.reason) }),
      ...(verdict.score === undefined ? {} : { score: verdict.score }),
      durationMs: Math.max(0, Math.round((now() - started) * 1000) / 1000),
    };
    verdicts.push(recorded);
    options.onVerdict?.(recorded);
    if (recorded.action !== 'block') return false;
    blocked = recorded;
    return true;
  };
  const finish = (): GuardrailRunResult => ({
    verdicts,
    ...(blocked === undefined ? {} : { blocked }),
    prompt,
    ...(negativePrompt === undefined ? {} : { negativePrompt }),
    labels: sortedUnique(verdicts.flatMap((verdict) => verdict.labels)),
  });
  const from = (first: number): GuardrailRunResult | Promise<GuardrailRunResult> => {
    for (let index = first; index < guardrails.length; index++) {
      const guardrail = guardrails[index]!;
      if (options.signal.aborted) throw abortErrorFrom(options.signal);
      const started = now();
      const current: GuardrailInput = {
        ...input,
        prompt,
        ...(negativePrompt === undefined ? {} : { negativePrompt }),
      };
      const outcome = runOne(guardrail, current, options.signal);
      if (outcome instanceof Promise)
        return outcome.then((settled) => (record(guardrail, settled, started) ? finish() : from(index + 1)));
      if (record(guardrail, outcome, started)) break;
    }
    return finish();
  };
  return from(0);
}

function truncateReason(reason: string): string {
  return reason.length <= MAX_REASON_LENGTH ? reason : `${reason.slice(0, MAX_REASON_LENGTH)}…`;
}

/**
 * The CONTENT_BLOCKED error for a blocking verdict: it names the guardrail and the labels so the
 * caller knows what to change, and carries the guardrail's short reason, but never the offending
 * text (reasons are cut to a summary's length). `param` is `prompt` at the input stage.
 */
export function contentBlockedError(
  verdict: Pick<RecordedVerdict, 'guardrail' | 'stage' | 'labels' | 'reason'>,
): GatewayError {
  const labels = verdict.labels.length > 0 ? ` (${verdict.labels.join(', ')})` : '';
  const what = verdict.stage === 'input' ? 'The prompt was blocked' : 'The generated output was blocked';
  const reason = verdict.reason ? ` ${truncateReason(verdict.reason)}` : '';
  return new GatewayError(
    'CONTENT_BLOCKED',
    `${what} by guardrail "${verdict.guardrail}"${labels}.${reason}`,
    {
      ...(verdict.stage === 'input' ? { param: 'prompt' } : {}),
      details: { guardrail: verdict.guardrail, stage: verdict.stage, labels: [...verdict.labels] },
    },
  );
}
