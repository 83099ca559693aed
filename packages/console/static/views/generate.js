import { useMemo, useState } from 'preact/hooks';
import { controlsFor, requestFor, sizeRuleHint } from '../capabilities.js';
import { provenanceText, remember } from '../state.js';
import { ErrorBox, html, ImageCard, Warnings } from './shared.js';

/** A select whose choices come from the model; unavailable controls are disabled with the reason. */
export function Choice({ label, name, control, value, onChange }) {
  const hintId = `${name}-hint`;
  const disabled = Boolean(control.unavailable);
  return html`<div class="field">
    <label for=${`field-${name}`}>${label}</label>
    <select id=${`field-${name}`} name=${name} value=${value ?? ''} disabled=${disabled} aria-describedby=${disabled ? hintId : undefined}
      onChange=${(e) => onChange(e.currentTarget.value)}>
      <option value="">Model default${control.default ? ` (${control.default})` : ''}</option>
      ${control.choices.map((choice) => html`<option value=${choice}>${choice}</option>`)}
    </select>
    ${disabled ? html`<small class="hint" id=${hintId}>${control.unavailable}</small>` : ''}
  </div>`;
}

/** The generation form: prompt, model and the controls the chosen model offers. */
export function GenerateForm({ models, busy, onSubmit, submitLabel = 'Create images' }) {
  const [modelId, setModelId] = useState(models[0]?.id ?? '');
  const [values, setValues] = useState({ prompt: '', n: 1 });
  const model = models.find((candidate) => candidate.id === modelId) ?? models[0];
  const controls = useMemo(() => (model ? controlsFor(model) : undefined), [model]);
  const set = (name) => (value) => setValues((current) => ({ ...current, [name]: value }));
  const chooseModel = (id) => {
    setModelId(id);
    setValues((current) => ({ prompt: current.prompt, n: 1 }));
  };
  if (!model) return html`<p>No models are available to this key.</p>`;
  return html`<form class="grid" onSubmit=${(event) => {
    event.preventDefault();
    onSubmit(model, requestFor(model, values));
  }}>
    <label class="wide">Prompt
      <textarea name="prompt" required maxlength=${controls.maxPromptLength} value=${values.prompt}
        onInput=${(e) => set('prompt')(e.currentTarget.value)}></textarea>
    </label>
    <div class="field">
      <label for="field-model">Model</label>
      <select id="field-model" name="model" value=${modelId} onChange=${(e) => chooseModel(e.currentTarget.value)}>
        ${models.map((candidate) => html`<option value=${candidate.id}>${candidate.pixelgate.display_name ?? candidate.id}</option>`)}
      </select>
    </div>
    ${
      controls.size.choices.length || !controls.size.rule
        ? html`<${Choice} label="Size" name="size" control=${controls.size} value=${values.size} onChange=${set('size')} />`
        : html`<label>Size <input name="size" placeholder="1024x1024" pattern="\\d{2,5}x\\d{2,5}" value=${values.size ?? ''}
          onInput=${(e) => set('size')(e.currentTarget.value)} /><small>${sizeRuleHint(controls.size.rule)}</small></label>`
    }
    <${Choice} label="Quality" name="quality" control=${controls.quality} value=${values.quality} onChange=${set('quality')} />
    <${Choice} label="Style" name="style" control=${controls.style} value=${values.style} onChange=${set('style')} />
    <${Choice} label="Format" name="outputFormat" control=${controls.outputFormat} value=${values.outputFormat} onChange=${set('outputFormat')} />
    <label>Images
      <input type="number" name="n" min="1" max=${controls.maxImages} value=${values.n}
        onInput=${(e) => set('n')(Number(e.currentTarget.value))} />
      <small>1 to ${controls.maxImages}</small>
    </label>
    <div><button class="primary" type="submit" disabled=${busy}>${busy ? 'Working…' : submitLabel}</button></div>
  </form>`;
}

/** Generate: the form, then the images with their warnings, or the error with its code and field. */
export function GenerateView({ api, models }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(undefined);
  const [result, setResult] = useState(undefined);
  const submit = async (_model, request) => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    const started = performance.now();
    try {
      const response = await api.generate(request);
      remember(request, response, performance.now() - started);
      setResult({ request, response });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return html`<section class="panel" aria-labelledby="generate-title">
    <h2 id="generate-title">Generate</h2>
    <${GenerateForm} models=${models} busy=${busy} onSubmit=${submit} />
    <div aria-live="polite">
      <${ErrorBox} error=${error} />
      ${
        result
          ? html`<${Warnings} warnings=${result.response.warnings} />
          <p class="ok">Request ${result.response.request_id}: ${result.response.data.length} image(s) from ${result.response.model}.</p>
          <div class="images">
            ${result.response.data.map(
              (image) =>
                html`<${ImageCard} image=${{
                  ...image,
                  model: result.response.model,
                  prompt: result.request.prompt,
                  requestId: result.response.request_id,
                  url: image.url,
                  urlExpiresAt: image.url_expires_at,
                  revisedPrompt: image.revised_prompt,
                  mediaType: image.media_type,
                  provenance: provenanceText(image.provenance),
                  costUsd: result.response.cost?.actual_usd ?? result.response.cost?.estimated_usd,
                }} />`,
            )}
          </div>`
          : ''
      }
    </div>
  </section>`;
}
