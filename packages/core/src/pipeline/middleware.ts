import type {
  ImageProvider,
  ProviderCall,
  ProviderCallContext,
  ProviderResult,
} from '../provider/image-provider.ts';
import type { GenerationResult } from './generation-result.ts';
import type { RequestInfo } from './request-context.ts';

export type { RequestInfo } from './request-context.ts';

/** One provider call as a provider-call middleware sees it. */
export interface ProviderInvocation {
  readonly request: RequestInfo;
  readonly provider: ImageProvider;
  /** The call about to be sent (one split call of the request, after `transformParams`). */
  readonly call: ProviderCall;
  /** The context the provider gets: signal, ids, call index, attempt, credentials. */
  readonly context: ProviderCallContext;
}

/**
 * A cross-cutting concern added without forking the pipeline: hooks around the whole request and
 * around each provider call, in the spirit of the AI SDK's image middleware (`wrapGenerate`,
 * `transformParams`) and of Hono's `(c, next)` middleware. Every hook is optional.
 *
 * Order: the first middleware in the list is the outermost. `wrapRequest` of the first one runs
 * first and sees the result last; `transformParams` run in list order; `wrapProviderCall` of the
 * first one wraps all the others. Whatever a middleware does (throw, short-circuit, rewrite), the
 * request still leaves exactly one audit record: the runner writes it outside every middleware.
 */
export interface GatewayMiddleware {
  /** Shown in errors and logs. */
  readonly name: string;
  /**
   * Around the whole request (every stage from parse to budget settle). Call `next()` to run the
   * stages; return its result (possibly changed), or throw a GatewayError to refuse the request.
   */
  wrapRequest?(request: RequestInfo, next: () => Promise<GenerationResult>): Promise<GenerationResult>;
  /**
   * Changes the call before it is sent (for example a prompt prefix, or a default provider option).
   * Runs for every provider call, retries included, after the capability check: what it returns
   * is sent as is, so it must stay within what the model accepts.
   */
  transformParams?(call: ProviderCall, request: RequestInfo): ProviderCall | Promise<ProviderCall>;
  /**
   * Around each provider call (every split call and every retry). Call `next()` to make the call, or
   * `next(call)` to send a different one; return the provider's result (possibly changed) or throw.
   * A thrown error goes through the normal retry and fallback rules.
   */
  wrapProviderCall?(
    invocation: ProviderInvocation,
    next: (call?: ProviderCall) => Promise<ProviderResult>,
  ): Promise<ProviderResult>;
}

/** Runs `inner` inside every middleware's `wrapRequest`, the first middleware outermost. */
export function composeRequest(
  middleware: ReadonlyArray<GatewayMiddleware>,
  request: RequestInfo,
  inner: () => Promise<GenerationResult>,
): Promise<GenerationResult> {
  let next = inner;
  for (let index = middleware.length - 1; index >= 0; index--) {
    const wrap = middleware[index]!.wrapRequest;
    if (!wrap) continue;
    const inside = next;
    const owner = middleware[index]!;
    next = () => wrap.call(owner, request, inside);
  }
  return next();
}

/** A provider call as the dispatcher makes it. */
export type InvokeProvider = (call: ProviderCall, context: ProviderCallContext) => Promise<ProviderResult>;

/**
 * The function dispatch calls for each provider call: `transformParams` of every middleware in
 * order, then every `wrapProviderCall` (the first outermost) around `innermost`. Without any
 * provider-call hook, `innermost` itself is returned (no extra frames on the hot path).
 */
export function composeProviderCall(
  middleware: ReadonlyArray<GatewayMiddleware>,
  request: RequestInfo,
  provider: ImageProvider,
  innermost: InvokeProvider,
): InvokeProvider {
  const transforms = middleware.filter((m) => m.transformParams);
  const wrappers = middleware.filter((m) => m.wrapProviderCall);
  if (transforms.length === 0 && wrappers.length === 0) return innermost;
  return async (original, context) => {
    let call = original;
    for (const m of transforms) call = await m.transformParams!(call, request);
    const at = (index: number, current: ProviderCall): Promise<ProviderResult> => {
      if (index === wrappers.length) return innermost(current, context);
      return wrappers[index]!.wrapProviderCall!({ request, provider, call: current, context }, (replaced) =>
        at(index + 1, replaced ?? current),
      );
    };
    return at(0, call);
  };
}
