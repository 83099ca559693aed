import { TRAINED_ALGORITHMIC_MEDIA } from '../xmp/xmp-packet.ts';

/** The label of pixelgate's own assertion in the manifest. */
export const PIXELGATE_ASSERTION = 'org.pixelgate.generation';

/** What the manifest states about one generated image. */
export interface ManifestFacts {
  requestId: string;
  /** `provider/model` as resolved, e.g. `openai/gpt-image-1`. */
  model: string;
  provider: string;
  created: Date;
  /** The audit record's sequence number, when the caller knows it before delivery. */
  auditSeq?: number;
  /** Only when the operator turned `include.tenant` on. */
  tenantId?: string;
  /** Only when the operator turned `include.prompt` on. */
  prompt?: string;
}

/** Inputs of {@link buildManifestDefinition}. */
export interface ManifestInput {
  facts: ManifestFacts;
  mediaType: string;
  softwareAgent: { name: string; version: string };
  /** The provider's own manifest, kept as the parent ingredient (instance id of the ingredient). */
  parentIngredientId?: string;
}

function actions(input: ManifestInput): Array<Record<string, unknown>> {
  const { facts, softwareAgent } = input;
  const agent = { ...softwareAgent, provider: facts.provider, model: facts.model };
  const when = facts.created.toISOString();
  if (input.parentIngredientId === undefined) {
    return [
      { action: 'c2pa.created', digitalSourceType: TRAINED_ALGORITHMIC_MEDIA, softwareAgent: agent, when },
    ];
  }
  // The provider's manifest already states the creation; pixelgate opened its image and added
  // the XMP marking, which C2PA records as a metadata edit.
  return [
    {
      action: 'c2pa.opened',
      digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
      softwareAgent: agent,
      when,
      parameters: { ingredientIds: [input.parentIngredientId] },
    },
    { action: 'c2pa.edited.metadata', softwareAgent: agent, when },
  ];
}

/**
 * The C2PA manifest definition for one image: a `c2pa.actions.v2` assertion saying a trained
 * model created it (or, when the provider already signed it, that pixelgate opened that parent),
 * and pixelgate's own assertion tying the image to its request and audit record. Prompt and
 * tenant appear only when the caller passes them (the operator's `include` switches).
 */
export function buildManifestDefinition(input: ManifestInput): Record<string, unknown> {
  const { facts } = input;
  const pixelgate: Record<string, unknown> = { requestId: facts.requestId, model: facts.model };
  if (facts.auditSeq !== undefined) pixelgate.auditSeq = facts.auditSeq;
  if (facts.tenantId !== undefined) pixelgate.tenantId = facts.tenantId;
  if (facts.prompt !== undefined) pixelgate.prompt = facts.prompt;
  return {
    claim_generator_info: [input.softwareAgent],
    format: input.mediaType,
    assertions: [
      { label: 'c2pa.actions.v2', data: { actions: actions(input) } },
      { label: PIXELGATE_ASSERTION, data: pixelgate },
    ],
  };
}
