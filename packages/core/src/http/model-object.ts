import { type ModelDescriptor, qualifiedModelId } from '../models/model-descriptor.ts';

/** A model a caller may use, by qualified id, else by a bare id or alias only when unambiguous. */
export function findModel(models: ModelDescriptor[], id: string): ModelDescriptor | undefined {
  const exact = models.find((candidate) => qualifiedModelId(candidate) === id);
  if (exact) return exact;
  const matches = models.filter((model) => model.id === id || model.aliases.includes(id));
  return matches.length === 1 ? matches[0] : undefined;
}

/** One model in OpenAI's list shape, with pixelgate's facts under `pixelgate`. */
export function toModelObject(model: ModelDescriptor): Record<string, unknown> {
  return {
    id: qualifiedModelId(model),
    object: 'model',
    // Catalogs carry no creation date; 0 says "unknown" rather than inventing one.
    created: 0,
    owned_by: model.provider,
    pixelgate: {
      provider: model.provider,
      model: model.id,
      aliases: model.aliases,
      ...(model.displayName ? { display_name: model.displayName } : {}),
      ...(model.description ? { description: model.description } : {}),
      capabilities: model.capabilities,
      defaults: model.defaults,
      lifecycle: model.lifecycle,
      ...(model.pricing ? { pricing: model.pricing } : {}),
    },
  };
}
