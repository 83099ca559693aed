import { GatewayError } from '../errors/gateway-error.ts';
import {
  type ModelDescriptor,
  type ModelDescriptorInput,
  type ModelOverride,
  modelDescriptorSchema,
  modelOverrideSchema,
  qualifiedModelId,
} from '../models/model-descriptor.ts';
import type { ImageProvider } from '../provider/image-provider.ts';
import type { GenerationWarning } from '../provider/warning.ts';
import { zodToValidationError } from '../request/zod-error.ts';

/** A model resolved for one request, with the warnings resolution produced (deprecation). */
export interface ResolvedModel {
  model: ModelDescriptor;
  provider: ImageProvider;
  warnings: GenerationWarning[];
}

/** Edit distance, for "did you mean" suggestions. Bounded input sizes keep it cheap. */
function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const saved = previous[j]!;
      previous[j] = Math.min(
        previous[j]! + 1,
        previous[j - 1]! + 1,
        diagonal + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      diagonal = saved;
    }
  }
  return previous[b.length]!;
}

function mergeModel(base: ModelDescriptor, override: ModelOverride): ModelDescriptorInput {
  return {
    ...base,
    id: override.id,
    provider: override.provider,
    aliases: override.aliases ?? (override.id === base.id ? base.aliases : []),
    ...(override.displayName === undefined ? {} : { displayName: override.displayName }),
    ...(override.description === undefined ? {} : { description: override.description }),
    capabilities: { ...base.capabilities, ...override.capabilities },
    defaults: { ...base.defaults, ...override.defaults },
    ...(override.pricing === undefined ? {} : { pricing: override.pricing }),
    lifecycle: override.lifecycle ? { ...base.lifecycle, ...override.lifecycle } : base.lifecycle,
    providerData: { ...base.providerData, ...override.providerData },
  };
}

/**
 * A model that declares `edit` or `variation` needs the plugin method that performs it: found at
 * registry load (gateway creation), not on the first request.
 */
function requireOperationMethods(provider: ImageProvider, model: ModelDescriptor): void {
  const missing = [
    model.capabilities.edit && typeof provider.edit !== 'function' ? 'edit()' : '',
    model.capabilities.variation && typeof provider.createVariation !== 'function' ? 'createVariation()' : '',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new GatewayError(
      'CONFIGURATION_ERROR',
      `The model '${qualifiedModelId(model)}' declares ${model.capabilities.edit && missing.includes('edit()') ? 'capabilities.edit' : 'capabilities.variation'} but the provider '${provider.id}' has no ${missing.join(' or ')}.`,
      { provider: provider.id },
    );
  }
}

/**
 * Knows every provider and model. Resolves what callers write (`openai/dall-e-3`, `dall-e-3`, an
 * alias) to exactly one model, refuses unknown, ambiguous and retired models with errors that say
 * what to use instead, and applies configuration overrides so models are data, not code.
 */
export class ModelRegistry {
  readonly #providers = new Map<string, ImageProvider>();
  readonly #models = new Map<string, ModelDescriptor>();
  readonly #now: () => number;

  constructor(options: { providers?: ImageProvider[]; models?: ModelOverride[]; now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
    for (const provider of options.providers ?? []) this.registerProvider(provider);
    for (const override of options.models ?? []) this.applyOverride(override);
  }

  /** Adds a provider and its catalog. A second provider with the same id is a configuration error. */
  registerProvider(provider: ImageProvider): void {
    if (provider.specificationVersion !== 'v1') {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Provider '${provider.id}' implements an unsupported specification.`,
      );
    }
    if (this.#providers.has(provider.id)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Two providers are registered with the id '${provider.id}'; give one of them another id (most factories take an 'id' option).`,
      );
    }
    this.#providers.set(provider.id, provider);
    for (const input of provider.models) {
      const parsed = modelDescriptorSchema.safeParse({ ...input, provider: provider.id });
      if (!parsed.success) {
        const error = zodToValidationError(parsed.error, `models.${input.id}`);
        throw new GatewayError(
          'CONFIGURATION_ERROR',
          `Provider '${provider.id}' declares an invalid model: ${error.message}`,
          {
            ...(error.param ? { param: error.param } : {}),
          },
        );
      }
      requireOperationMethods(provider, parsed.data);
      const key = qualifiedModelId(parsed.data);
      if (this.#models.has(key)) {
        throw new GatewayError(
          'CONFIGURATION_ERROR',
          `Provider '${provider.id}' declares the model '${parsed.data.id}' twice.`,
        );
      }
      this.#models.set(key, parsed.data);
    }
  }

  /**
   * Adds or changes a model from configuration. With `extends`, the new model starts as a copy of
   * that model of the same provider; without it, an existing model is patched, or a new one must be
   * complete.
   */
  applyOverride(input: ModelOverride): void {
    const parsedOverride = modelOverrideSchema.safeParse(input);
    if (!parsedOverride.success) {
      const error = zodToValidationError(parsedOverride.error, 'models');
      throw new GatewayError('CONFIGURATION_ERROR', `Invalid model override: ${error.message}`);
    }
    const override = parsedOverride.data;
    if (!this.#providers.has(override.provider)) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Model override '${override.id}' names the provider '${override.provider}', which is not registered (registered: ${[...this.#providers.keys()].join(', ') || 'none'}).`,
      );
    }
    const baseId = override.extends ?? override.id;
    const base = this.#models.get(`${override.provider}/${baseId}`);
    let candidate: ModelDescriptorInput;
    if (base) {
      candidate = mergeModel(base, override);
    } else if (override.extends) {
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Model override '${override.id}' extends '${override.extends}', which provider '${override.provider}' does not declare.`,
      );
    } else {
      candidate = override as ModelDescriptorInput;
    }
    const parsed = modelDescriptorSchema.safeParse(candidate);
    if (!parsed.success) {
      const error = zodToValidationError(parsed.error, `models.${override.id}`);
      throw new GatewayError(
        'CONFIGURATION_ERROR',
        `Model '${override.provider}/${override.id}' is incomplete: ${error.message}`,
      );
    }
    requireOperationMethods(this.#providers.get(override.provider)!, parsed.data);
    this.#models.set(qualifiedModelId(parsed.data), parsed.data);
  }

  /** The provider with this id, if registered. */
  provider(id: string): ImageProvider | undefined {
    return this.#providers.get(id);
  }

  /** Every registered provider. */
  providers(): ImageProvider[] {
    return [...this.#providers.values()];
  }

  /** Every model, with its lifecycle status as of now (retired models included, marked). */
  list(): ModelDescriptor[] {
    return [...this.#models.values()].map((model) => this.#withEffectiveLifecycle(model));
  }

  /** A model by exact qualified id, without lifecycle checks. */
  get(qualifiedId: string): ModelDescriptor | undefined {
    const model = this.#models.get(qualifiedId);
    return model ? this.#withEffectiveLifecycle(model) : undefined;
  }

  #withEffectiveLifecycle(model: ModelDescriptor): ModelDescriptor {
    const retiresOn = model.lifecycle.retiresOn ? Date.parse(model.lifecycle.retiresOn) : Number.NaN;
    if (model.lifecycle.status !== 'retired' && !Number.isNaN(retiresOn) && retiresOn <= this.#now()) {
      return { ...model, lifecycle: { ...model.lifecycle, status: 'retired' } };
    }
    return model;
  }

  /**
   * Resolves a model name. Errors: MODEL_NOT_FOUND with close matches; VALIDATION_ERROR when a bare
   * id matches models of several providers; MODEL_RETIRED naming the replacement.
   */
  resolve(name: string): ResolvedModel {
    const matches = this.#match(name);
    if (matches.length === 0) {
      const suggestions = this.#suggest(name);
      throw new GatewayError(
        'MODEL_NOT_FOUND',
        `The model '${name}' does not exist.${suggestions.length ? ` Did you mean ${suggestions.map((s) => `'${s}'`).join(', ')}?` : ''} GET /v1/models lists the available models.`,
        { param: 'model', details: { suggestions } },
      );
    }
    if (matches.length > 1) {
      const ids = matches.map(qualifiedModelId);
      throw new GatewayError(
        'VALIDATION_ERROR',
        `The model '${name}' is ambiguous: use one of ${ids.map((id) => `'${id}'`).join(', ')}.`,
        {
          param: 'model',
          details: { candidates: ids },
        },
      );
    }
    const model = this.#withEffectiveLifecycle(matches[0]!);
    const provider = this.#providers.get(model.provider)!;
    const qualified = qualifiedModelId(model);
    const { lifecycle } = model;
    if (lifecycle.status === 'retired') {
      throw new GatewayError(
        'MODEL_RETIRED',
        `The model '${qualified}' was retired${lifecycle.retiresOn ? ` on ${lifecycle.retiresOn}` : ''}.${lifecycle.replacement ? ` Use '${lifecycle.replacement}' instead.` : ''}`,
        {
          param: 'model',
          details: { ...(lifecycle.replacement ? { replacement: lifecycle.replacement } : {}) },
        },
      );
    }
    const warnings: GenerationWarning[] = [];
    if (lifecycle.status === 'deprecated') {
      warnings.push({
        type: 'deprecated',
        param: 'model',
        message: `The model '${qualified}' is deprecated${lifecycle.retiresOn ? ` and shuts down on ${lifecycle.retiresOn}` : ''}.${lifecycle.replacement ? ` Move to '${lifecycle.replacement}'.` : ''}`,
      });
    }
    return { model, provider, warnings };
  }

  #match(name: string): ModelDescriptor[] {
    const exact = this.#models.get(name);
    if (exact) return [exact];
    const slash = name.indexOf('/');
    if (slash > 0) {
      const providerId = name.slice(0, slash);
      const rest = name.slice(slash + 1);
      if (this.#providers.has(providerId)) {
        const direct = this.#models.get(`${providerId}/${rest}`);
        if (direct) return [direct];
        return [...this.#models.values()].filter(
          (m) => m.provider === providerId && m.aliases.includes(rest),
        );
      }
    }
    const byId = [...this.#models.values()].filter((m) => m.id === name);
    if (byId.length > 0) return byId;
    return [...this.#models.values()].filter((m) => m.aliases.includes(name));
  }

  #suggest(name: string): string[] {
    const needle = name.toLowerCase().slice(0, 100);
    return [...this.#models.values()]
      .map((model) => {
        const qualified = qualifiedModelId(model);
        const distance = Math.min(
          editDistance(needle, model.id.toLowerCase()),
          editDistance(needle, qualified.toLowerCase()),
          ...model.aliases.map((alias) => editDistance(needle, alias.toLowerCase())),
        );
        return { qualified, distance };
      })
      .filter((entry) => entry.distance <= Math.max(3, Math.floor(needle.length / 3)))
      .sort((a, b) => a.distance - b.distance || a.qualified.localeCompare(b.qualified))
      .slice(0, 3)
      .map((entry) => entry.qualified);
  }
}
