import type { ModelDescriptorInput, ModelLifecycle } from '@pixelgate/core/spec';
import type { GoogleApi } from './google-model-data.ts';

/*
 * The catalog, as data. Every figure comes from ../shared/reference/provider-apis.md (sections 0, 3
 * and 4); where the reference marks a fact UNCONFIRMED the entry says so in `note` or `source`.
 * Google renames and retires these ids every few months, so nothing outside this file (and the
 * user's `models` setting) knows a model id.
 */

/** Imagen 3/4 output at the default (1K) sample size, per ratio [S-G4]. */
const IMAGEN_1K = {
  '1:1': '1024x1024',
  '3:4': '896x1280',
  '4:3': '1280x896',
  '9:16': '768x1408',
  '16:9': '1408x768',
};
/** Imagen 4 standard and ultra at `sampleImageSize: 2K` [S-G4]. */
const IMAGEN_2K = {
  '1:1': '2048x2048',
  '3:4': '1792x2560',
  '4:3': '2560x1792',
  '9:16': '1536x2816',
  '16:9': '2816x1536',
};

/** gemini-2.5-flash-image, 1K only (third-party copies of the guide's table; 4 ratios measured live). */
const GEMINI_25_1K = {
  '1:1': '1024x1024',
  '2:3': '832x1248',
  '3:2': '1248x832',
  '3:4': '864x1184',
  '4:3': '1184x864',
  '4:5': '896x1152',
  '5:4': '1152x896',
  '9:16': '768x1344',
  '16:9': '1344x768',
  '21:9': '1536x672',
};

/** Gemini 3.x image models at 1K; 2K is twice and 4K four times each side (reference 4.5, UNCONFIRMED). */
const GEMINI_3_1K = {
  '1:1': '1024x1024',
  '2:3': '848x1264',
  '3:2': '1264x848',
  '3:4': '896x1200',
  '4:3': '1200x896',
  '4:5': '928x1152',
  '5:4': '1152x928',
  '9:16': '768x1376',
  '16:9': '1376x768',
  '21:9': '1584x672',
};
/** The wide ratios of 3.1 Flash Image and Nano Banana 2.1. */
const GEMINI_WIDE_1K = { '1:4': '512x2064', '4:1': '2064x512', '1:8': '352x2928', '8:1': '2928x352' };

function scaleSizes(table: Record<string, string>, factor: number): Record<string, string> {
  return Object.fromEntries(
    Object.entries(table).map(([ratio, size]) => {
      const [w, h] = size.split('x').map(Number) as [number, number];
      return [ratio, `${w * factor}x${h * factor}`];
    }),
  );
}

function perImageRows(tables: Array<[Record<string, string>, number]>): Array<{ size: string; usd: number }> {
  return tables.flatMap(([table, usd]) => Object.values(table).map((size) => ({ size, usd })));
}

const IMAGEN_CAPABILITIES = {
  maxImagesPerCall: 4,
  maxImagesPerRequest: 10,
  outputFormats: ['png', 'jpeg'] as Array<'png' | 'jpeg'>,
  outputCompression: true,
  // The real limit is 480 tokens [S-G4]; core counts characters, so this is ~4 characters per
  // token. A prompt under this length but over 480 tokens is refused upstream (upstream_rejected).
  maxPromptLength: 1920,
};

const IMAGEN_SHUTDOWN: ModelLifecycle = {
  status: 'deprecated',
  retiresOn: '2026-08-17',
  note:
    'Google is shutting Imagen down: the Vertex banner asks users to move before 2026-06-30, the Gemini API ' +
    'changelog (2026-06-15) and Firebase migration guide give 2026-08-17. Override the lifecycle in `models` ' +
    'if your project still has access.',
};

/**
 * Input images of Gemini edits: png, jpeg, webp (3.x also takes heic/heif, which the gateway does
 * not accept as input), at most 7 MB per inline file (the Vertex limit; read as 7,000,000 bytes so
 * that either reading of "MB" passes). The pixel limit is UNCONFIRMED (none is documented): 50
 * megapixels guards against decompression bombs; change it with a `models` override.
 */
const GEMINI_EDIT_INPUT = {
  mediaTypes: ['image/png', 'image/jpeg', 'image/webp'] as Array<'image/png' | 'image/jpeg' | 'image/webp'>,
  maxBytes: 7_000_000,
  maxPixels: 50_000_000,
  square: false,
};

/** One catalog entry before it is specialised for a route. */
interface CatalogEntry {
  model: ModelDescriptorInput;
  /** Which APIs serve the model, and what differs there. */
  routes: Partial<
    Record<
      GoogleApi,
      Partial<Pick<ModelDescriptorInput, 'lifecycle' | 'pricing'>> & {
        capabilities?: Partial<ModelDescriptorInput['capabilities']>;
      }
    >
  >;
}

/** Refusals of the Gemini API route for Imagen [S-G1 generateImagesConfigToMldev, S-G9]. */
const IMAGEN_ON_GEMINI_API = { seed: false, negativePrompt: false };

function imagen(
  id: string,
  displayName: string,
  options: {
    twoK: boolean;
    usd: number;
    geminiUsd?: number;
    priceSource: string;
    replacement: string;
    gemini: boolean;
  },
): CatalogEntry {
  return {
    model: {
      id,
      provider: 'google',
      displayName,
      description: `Google ${displayName} through :predict. 1-4 images per call, five aspect ratios${options.twoK ? ', 1K or 2K' : ''}.`,
      capabilities: {
        ...IMAGEN_CAPABILITIES,
        aspectRatios: IMAGEN_1K,
        sizes: options.twoK ? Object.values(IMAGEN_2K) : [],
        seed: true,
        maxSeed: 4_294_967_295,
        negativePrompt: true,
      },
      defaults: { aspectRatio: '1:1' },
      pricing: { perImage: [{ usd: options.usd }], source: options.priceSource },
      lifecycle: { ...IMAGEN_SHUTDOWN, replacement: options.replacement },
      providerData: { family: 'imagen', ...(options.twoK ? { sizeTiers: { '2K': IMAGEN_2K } } : {}) },
    },
    routes: {
      vertex: {},
      ...(options.gemini
        ? {
            gemini: {
              capabilities: IMAGEN_ON_GEMINI_API,
              ...(options.geminiUsd === undefined
                ? {}
                : {
                    pricing: {
                      perImage: [{ usd: options.geminiUsd }],
                      source: `${options.priceSource}; Gemini API price UNCONFIRMED`,
                    },
                  }),
            },
          }
        : {}),
    },
  };
}

/**
 * `imagen-3.0-capability-001`: Imagen editing on Vertex (`:predict` with `referenceImages`). The
 * shared reference names the model and its 100 RPM quota only; the request shape (RAW and MASK
 * reference images, `editMode`, `maskImageConfig`), the input limits and the price are
 * UNCONFIRMED (taken from Google SDK samples and third-party clients) and can be overridden with
 * `models`. It edits only: the output follows the input's size, so it declares no ratios.
 */
function imagenEditor(): CatalogEntry {
  return {
    model: {
      id: 'imagen-3.0-capability-001',
      provider: 'google',
      displayName: 'Imagen 3 Editing',
      description:
        'Imagen 3 editing through :predict on Vertex: inpainting (insert or remove) with a mask where white marks the area to edit, outpainting, background swap; 1-4 images per call, the size of the input.',
      capabilities: {
        sizes: ['auto'],
        aspectRatios: {},
        maxImagesPerCall: 4,
        maxImagesPerRequest: 10,
        outputFormats: ['png', 'jpeg'],
        outputCompression: true,
        maxPromptLength: IMAGEN_CAPABILITIES.maxPromptLength,
        seed: true,
        maxSeed: 4_294_967_295,
        negativePrompt: true,
        edit: {
          maxImages: 1,
          // UNCONFIRMED limits: 10 MiB per image and 50 megapixels.
          input: { ...GEMINI_EDIT_INPUT, maxBytes: 10 * 1024 * 1024 },
          mask: { convention: 'luminance', required: false },
          inputFidelity: [],
        },
      },
      defaults: { size: 'auto' },
      pricing: {
        perImage: [{ operation: 'edit', usd: 0.02 }],
        source:
          'UNCONFIRMED: Vertex AI pricing for Imagen 3 editing is not in the shared reference; override with `models`',
      },
      lifecycle: { ...IMAGEN_SHUTDOWN, replacement: 'gemini-3-pro-image' },
      providerData: { family: 'imagen', editOnly: true },
    },
    routes: { vertex: {} },
  };
}

const GEMINI_PROMPT_NOTE =
  'No character limit is documented, only input token limits; maxPromptLength stays well under them.';

function gemini(entry: {
  id: string;
  displayName: string;
  ratios: Record<string, string>;
  tiers?: Record<string, Record<string, string>>;
  baseTier?: string;
  maxPromptLength: number;
  nativeFormat: 'png' | 'jpeg';
  lifecycle: ModelLifecycle;
  pricing?: ModelDescriptorInput['pricing'];
  vertex: boolean;
  vertexLocation?: string;
  description: string;
  /** Reference images one edit may send (3 for 2.5 Flash Image, 14 for 3.x) [reference 4.3]. */
  maxInputImages: number;
}): CatalogEntry {
  return {
    model: {
      id: entry.id,
      provider: 'google',
      displayName: entry.displayName,
      description: `${entry.description} ${GEMINI_PROMPT_NOTE}`,
      capabilities: {
        aspectRatios: entry.ratios,
        sizes: Object.values(entry.tiers ?? {}).flatMap((table) => Object.values(table)),
        // generateContent has no images-per-call parameter: candidateCount > 1 is refused [S-G26].
        maxImagesPerCall: 1,
        maxImagesPerRequest: 10,
        // Vertex takes imageConfig.imageOutputOptions (png or jpeg); the Gemini API has no format
        // control, so there only the model's own encoding is declared.
        outputFormats: ['png', 'jpeg'],
        outputCompression: true,
        maxPromptLength: entry.maxPromptLength,
        seed: false,
        negativePrompt: false,
        // Edits send the input images as inlineData parts; generateContent takes no mask, so
        // none is declared and the gateway refuses one instead of dropping it.
        edit: { maxImages: entry.maxInputImages, input: GEMINI_EDIT_INPUT, inputFidelity: [] },
      },
      defaults: { aspectRatio: '1:1' },
      ...(entry.pricing ? { pricing: entry.pricing } : {}),
      lifecycle: entry.lifecycle,
      providerData: {
        family: 'gemini',
        sizeTiers: entry.tiers ?? {},
        ...(entry.baseTier ? { baseTier: entry.baseTier } : {}),
        ...(entry.vertexLocation ? { vertexLocation: entry.vertexLocation } : {}),
      },
    },
    routes: {
      gemini: { capabilities: { outputFormats: [entry.nativeFormat], outputCompression: false } },
      ...(entry.vertex ? { vertex: {} } : {}),
    },
  };
}

const GEMINI_3_TIERS = { '2K': scaleSizes(GEMINI_3_1K, 2), '4K': scaleSizes(GEMINI_3_1K, 4) };
const GEMINI_31_RATIOS = { ...GEMINI_3_1K, ...GEMINI_WIDE_1K };
const GEMINI_31_TIERS = { '2K': scaleSizes(GEMINI_31_RATIOS, 2), '4K': scaleSizes(GEMINI_31_RATIOS, 4) };

const CATALOG: CatalogEntry[] = [
  imagen('imagen-4.0-generate-001', 'Imagen 4', {
    twoK: true,
    usd: 0.04,
    priceSource: 'third-party summaries of the Gemini API pricing page, 2026-03 (reference 3.3)',
    replacement: 'gemini-3.1-flash-image',
    gemini: true,
  }),
  imagen('imagen-4.0-fast-generate-001', 'Imagen 4 Fast', {
    twoK: false,
    usd: 0.02,
    priceSource: 'third-party summaries of the Gemini API pricing page, 2026-03 (reference 3.3)',
    replacement: 'gemini-3.1-flash-image',
    gemini: true,
  }),
  imagen('imagen-4.0-ultra-generate-001', 'Imagen 4 Ultra', {
    twoK: true,
    usd: 0.06,
    priceSource: 'third-party summaries of the Gemini API pricing page, 2026-03 (reference 3.3)',
    replacement: 'gemini-3-pro-image',
    gemini: true,
  }),
  imagen('imagen-3.0-generate-002', 'Imagen 3', {
    twoK: false,
    usd: 0.04,
    geminiUsd: 0.03,
    priceSource: 'UNCONFIRMED (reference 3.3)',
    // The Vertex banner names gemini-2.5-flash-image, itself shut down on 2026-10-02.
    replacement: 'gemini-3.1-flash-image',
    gemini: true,
  }),
  imagen('imagen-3.0-fast-generate-001', 'Imagen 3 Fast', {
    twoK: false,
    usd: 0.02,
    priceSource: 'UNCONFIRMED (reference 3.3)',
    replacement: 'gemini-3.1-flash-image',
    gemini: false,
  }),
  imagenEditor(),
  gemini({
    id: 'gemini-2.5-flash-image',
    maxInputImages: 3,
    displayName: 'Gemini 2.5 Flash Image (Nano Banana)',
    description:
      'Gemini 2.5 Flash Image through generateContent: one 1K image per call, ten ratios, no size control.',
    ratios: GEMINI_25_1K,
    maxPromptLength: 30_000,
    nativeFormat: 'png',
    lifecycle: {
      status: 'deprecated',
      retiresOn: '2026-10-02',
      replacement: 'gemini-nano-banana-2.1',
      note: 'Gemini API deprecations page: shutdown 2026-10-02 (whether it is off is UNCONFIRMED; Vertex date unknown).',
    },
    pricing: {
      perImage: [{ usd: 0.039 }],
      tokens: { inputTextPerMillion: 0.3, inputImagePerMillion: 0.3, outputImagePerMillion: 30 },
      source:
        'Gemini API pricing (third-party transcriptions, reference 4.10); Vertex assumed equal (UNCONFIRMED)',
    },
    vertex: true,
  }),
  gemini({
    id: 'gemini-3-pro-image',
    maxInputImages: 14,
    displayName: 'Gemini 3 Pro Image (Nano Banana Pro)',
    description:
      'Gemini 3 Pro Image through generateContent: one image per call, ten ratios, 1K/2K/4K (4K in preview).',
    ratios: GEMINI_3_1K,
    tiers: GEMINI_3_TIERS,
    baseTier: '1K',
    maxPromptLength: 60_000,
    nativeFormat: 'png',
    lifecycle: {
      status: 'active',
      note: 'GA 2026-05-28. Whether the 2026-06-15 changelog entry ("Gemini 3 Image models" shut down 2026-08-17) covers it is UNCONFIRMED.',
    },
    pricing: {
      perImage: perImageRows([
        [GEMINI_3_1K, 0.134],
        [GEMINI_3_TIERS['2K'], 0.134],
        [GEMINI_3_TIERS['4K'], 0.24],
      ]),
      tokens: {
        inputTextPerMillion: 2,
        inputImagePerMillion: 2,
        outputImagePerMillion: 120,
        outputTextPerMillion: 12,
      },
      source:
        'Gemini API pricing (third-party transcriptions, reference 4.10); Vertex assumed equal (UNCONFIRMED)',
    },
    vertex: true,
  }),
  gemini({
    id: 'gemini-3-pro-image-preview',
    maxInputImages: 14,
    displayName: 'Gemini 3 Pro Image (preview)',
    description: 'The preview id of Gemini 3 Pro Image, shut down.',
    ratios: GEMINI_3_1K,
    tiers: GEMINI_3_TIERS,
    baseTier: '1K',
    maxPromptLength: 60_000,
    nativeFormat: 'png',
    lifecycle: {
      status: 'retired',
      deprecatedOn: '2026-05-28',
      retiresOn: '2026-06-25',
      replacement: 'gemini-3-pro-image',
      note: 'Gemini API shutdown 2026-06-25; Vertex discontinued it on 2026-07-17.',
    },
    vertex: true,
  }),
  gemini({
    id: 'gemini-3.1-flash-image',
    maxInputImages: 14,
    displayName: 'Gemini 3.1 Flash Image (Nano Banana 2)',
    description:
      'Gemini 3.1 Flash Image through generateContent: one JPEG per call, fourteen ratios, 1K/2K/4K (the 512 tier is left out: its pixel grid is UNCONFIRMED).',
    ratios: GEMINI_31_RATIOS,
    tiers: GEMINI_31_TIERS,
    baseTier: '1K',
    maxPromptLength: 100_000,
    nativeFormat: 'jpeg',
    lifecycle: {
      status: 'deprecated',
      deprecatedOn: '2026-10-06',
      replacement: 'gemini-nano-banana-2.1',
      note: 'Deprecated 2026-10-06 with no shutdown date; a third-party claim of shutdown on 2026-10-29 is UNCONFIRMED. Vertex serves it in `global` only.',
    },
    pricing: {
      perImage: perImageRows([
        [GEMINI_31_RATIOS, 0.067],
        [GEMINI_31_TIERS['2K'], 0.101],
        [GEMINI_31_TIERS['4K'], 0.151],
      ]),
      tokens: { outputImagePerMillion: 60 },
      source:
        'Gemini API pricing (third-party, reference 4.10; input price UNCONFIRMED); Vertex assumed equal (UNCONFIRMED)',
    },
    vertex: true,
    vertexLocation: 'global',
  }),
  gemini({
    id: 'gemini-3.1-flash-image-preview',
    maxInputImages: 14,
    displayName: 'Gemini 3.1 Flash Image (preview)',
    description: 'The preview id of Gemini 3.1 Flash Image, shut down.',
    ratios: GEMINI_31_RATIOS,
    tiers: GEMINI_31_TIERS,
    baseTier: '1K',
    maxPromptLength: 100_000,
    nativeFormat: 'jpeg',
    lifecycle: {
      status: 'retired',
      retiresOn: '2026-06-25',
      replacement: 'gemini-3.1-flash-image',
      note: 'Gemini API shutdown 2026-06-25; Vertex discontinued it on 2026-07-17.',
    },
    vertex: true,
    vertexLocation: 'global',
  }),
  gemini({
    id: 'gemini-3.1-flash-lite-image',
    // UNCONFIRMED: no input-image limit is documented for Flash Lite; 3 (the smallest documented) is declared.
    maxInputImages: 3,
    displayName: 'Gemini 3.1 Flash Lite Image (Nano Banana 2 Lite)',
    description:
      'Gemini 3.1 Flash Lite Image through generateContent: 1K only (third-party); ratios and pixel sizes assumed from the 3.x table (UNCONFIRMED).',
    ratios: GEMINI_3_1K,
    baseTier: '1K',
    maxPromptLength: 60_000,
    nativeFormat: 'jpeg',
    lifecycle: {
      status: 'active',
      note: 'GA 2026-06-30 on the Gemini API; Vertex availability UNCONFIRMED. Price unknown.',
    },
    vertex: false,
  }),
  gemini({
    id: 'gemini-nano-banana-2.1',
    // 14 reference images per a third-party note (reference 4.4).
    maxInputImages: 14,
    displayName: 'Nano Banana 2.1',
    description:
      'Nano Banana 2.1 through generateContent: fourteen ratios, 1K/2K/4K; pixel sizes assumed from the 3.x table (UNCONFIRMED).',
    ratios: GEMINI_31_RATIOS,
    tiers: GEMINI_31_TIERS,
    baseTier: '1K',
    maxPromptLength: 100_000,
    nativeFormat: 'jpeg',
    lifecycle: {
      status: 'active',
      note: 'GA 2026-10-06 on the Gemini API; Vertex availability and price UNCONFIRMED.',
    },
    vertex: false,
  }),
];

/**
 * The catalog for one route. Route differences (which models exist there, what the Gemini API
 * refuses, per-route prices) are applied here, so the registry rejects an unsupported value
 * before any request is made.
 */
export function googleImageModels(api: GoogleApi): ModelDescriptorInput[] {
  return CATALOG.flatMap(({ model, routes }) => {
    const route = routes[api];
    if (!route) return [];
    return [
      {
        ...model,
        capabilities: { ...model.capabilities, ...(route.capabilities ?? {}) },
        ...(route.pricing ? { pricing: route.pricing } : {}),
        ...(route.lifecycle ? { lifecycle: route.lifecycle } : {}),
        providerData: { ...model.providerData },
      },
    ];
  });
}

/** Google's image models as served by Vertex AI. */
export const VERTEX_IMAGE_MODELS: ReadonlyArray<ModelDescriptorInput> = googleImageModels('vertex');
/** Google's image models as served by the Gemini API. */
export const GEMINI_API_IMAGE_MODELS: ReadonlyArray<ModelDescriptorInput> = googleImageModels('gemini');
