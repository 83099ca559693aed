import type { GatewayError } from '../errors/gateway-error.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import type { RequestContext } from './request-context.ts';

/**
 * One step of the pipeline. A stage reads what earlier stages left on the context and adds its
 * own output; it throws a GatewayError to end the request. Stages may answer synchronously (the
 * runner then does not wait a tick).
 */
export interface Stage {
  /** Unique within a stage list; used to insert stages (`insertStageAfter`). */
  readonly name: string;
  /** The `timings` key the stage's time is added to (several stages may share one). */
  readonly timing?: string;
  run(ctx: RequestContext, deps: PipelineDeps): void | Promise<void>;
  /**
   * Undoes what the stage holds when a later stage (or a middleware) fails: called for every stage
   * that ran, last first, before the audit record is written. Must not throw.
   */
  onFailure?(ctx: RequestContext, deps: PipelineDeps, error: GatewayError): void | Promise<void>;
}

/** A copy of `stages` with `stage` inserted right after the stage named `after`. */
export function insertStageAfter(stages: ReadonlyArray<Stage>, after: string, stage: Stage): Stage[] {
  const index = stages.findIndex((s) => s.name === after);
  if (index < 0) throw new Error(`pixelgate pipeline: no stage named '${after}'.`);
  if (stages.some((s) => s.name === stage.name))
    throw new Error(`pixelgate pipeline: a stage named '${stage.name}' is already in the list.`);
  return [...stages.slice(0, index + 1), stage, ...stages.slice(index + 1)];
}
