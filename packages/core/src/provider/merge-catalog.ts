import type { ModelDescriptorInput } from '../models/model-descriptor.ts';

/**
 * A provider's catalog after configuration: the built-in models, then the models a user added,
 * replacing built-in entries with the same id (a new snapshot, a corrected price). Every entry is
 * stamped with the provider's id, whatever it said before: the registry finds a model's plugin by
 * that id, so a catalog entry naming another provider could never be served. The built-in list is
 * not changed.
 */
export function mergeCatalog(
  providerId: string,
  builtIn: ReadonlyArray<ModelDescriptorInput>,
  added: ReadonlyArray<ModelDescriptorInput> | undefined = [],
): ModelDescriptorInput[] {
  const byId = new Map<string, ModelDescriptorInput>();
  for (const model of builtIn) byId.set(model.id, { ...model, provider: providerId });
  for (const model of added) byId.set(model.id, { ...model, provider: providerId });
  return [...byId.values()];
}
