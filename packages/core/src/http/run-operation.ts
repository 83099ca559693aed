import type { Gateway } from '../gateway/create-gateway.ts';
import type { GenerationResult } from '../pipeline/generation-result.ts';
import type { Operation } from '../pipeline/request-context.ts';
import type { GenerateOptions } from '../pipeline/runner.ts';

/** Runs one request of an image route through the gateway method of its operation. */
export function runOperation(
  gateway: Gateway,
  operation: Operation,
  input: unknown,
  options: GenerateOptions,
): Promise<GenerationResult> {
  if (operation === 'edit') return gateway.edit(input, options);
  if (operation === 'variation') return gateway.createVariation(input, options);
  return gateway.generate(input, options);
}
