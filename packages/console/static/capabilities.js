// What a model can do, turned into the choices a form offers: what a model cannot do is never
// offered, and an unsupported control says why it is unavailable.

/** Sizes the model makes: its fixed sizes and the sizes of its aspect ratios. */
export function sizeChoices(capabilities) {
  const sizes = new Set(capabilities.sizes ?? []);
  for (const size of Object.values(capabilities.aspectRatios ?? {})) sizes.add(size);
  return [...sizes];
}

/** A short sentence for a size rule, shown when the model takes any size within bounds. */
export function sizeRuleHint(rule) {
  if (!rule) return '';
  return `Any size from ${rule.minSide} to ${rule.maxSide} px per side${rule.multipleOf > 1 ? `, multiples of ${rule.multipleOf}` : ''}.`;
}

/** The form's controls for one model: each with its choices, or the reason it is unavailable. */
export function controlsFor(model) {
  const capabilities = model.pixelgate.capabilities;
  const defaults = model.pixelgate.defaults ?? {};
  const list = (values, what) =>
    values?.length ? { choices: values } : { choices: [], unavailable: `This model has no ${what} setting.` };
  return {
    size: { choices: sizeChoices(capabilities), rule: capabilities.sizeRule, default: defaults.size },
    quality: { ...list(capabilities.qualities, 'quality'), default: defaults.quality },
    style: { ...list(capabilities.styles, 'style'), default: defaults.style },
    outputFormat: { ...list(capabilities.outputFormats, 'output format'), default: defaults.outputFormat },
    maxImages: capabilities.maxImagesPerRequest ?? 1,
    maxPromptLength: capabilities.maxPromptLength,
  };
}

/** The request body for a model and the form's values, leaving out what the model does not take. */
export function requestFor(model, values) {
  const controls = controlsFor(model);
  const body = { model: model.id, prompt: values.prompt, response_format: 'url' };
  if (values.n > 1) body.n = values.n;
  if (values.size) body.size = values.size;
  if (values.quality && !controls.quality.unavailable) body.quality = values.quality;
  if (values.style && !controls.style.unavailable) body.style = values.style;
  if (values.outputFormat && !controls.outputFormat.unavailable) body.output_format = values.outputFormat;
  return body;
}
