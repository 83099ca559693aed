import { useState } from 'preact/hooks';
import { provenanceText, remember } from '../state.js';
import { ErrorBox, formatUsd, html, ImageCard, Warnings } from './shared.js';

/** One prompt across two to four models side by side, with each one's time and cost. */
export function CompareView({ api, models }) {
  const [prompt, setPrompt] = useState('');
  const [chosen, setChosen] = useState(models.slice(0, 2).map((model) => model.id));
  const [busy, setBusy] = useState(false);
  const [columns, setColumns] = useState([]);
  const [problem, setProblem] = useState('');
  const toggle = (id) =>
    setChosen((current) =>
      current.includes(id) ? current.filter((entry) => entry !== id) : [...current, id],
    );
  const submit = async (event) => {
    event.preventDefault();
    if (chosen.length < 2 || chosen.length > 4) {
      setProblem('Choose two to four models to compare.');
      return;
    }
    setProblem('');
    setBusy(true);
    setColumns(chosen.map((id) => ({ id, pending: true })));
    const results = await Promise.all(
      chosen.map(async (id) => {
        const request = { model: id, prompt, response_format: 'url' };
        const started = performance.now();
        try {
          const response = await api.generate(request);
          const elapsedMs = performance.now() - started;
          remember(request, response, elapsedMs);
          return { id, request, response, elapsedMs };
        } catch (error) {
          return { id, error, elapsedMs: performance.now() - started };
        }
      }),
    );
    setColumns(results);
    setBusy(false);
  };
  return html`<section class="panel" aria-labelledby="compare-title">
    <h2 id="compare-title">Compare models</h2>
    <form class="grid" onSubmit=${submit}>
      <label class="wide">Prompt
        <textarea name="prompt" required value=${prompt} onInput=${(e) => setPrompt(e.currentTarget.value)}></textarea>
      </label>
      <fieldset class="wide">
        <legend>Models (two to four)</legend>
        ${models.map(
          (model) => html`<label style="flex-direction:row;gap:0.4rem;font-weight:400">
          <input type="checkbox" name="models" value=${model.id} checked=${chosen.includes(model.id)} onChange=${() => toggle(model.id)} />
          ${model.pixelgate.display_name ?? model.id}
        </label>`,
        )}
      </fieldset>
      <div><button class="primary" type="submit" disabled=${busy}>${busy ? 'Comparing…' : 'Run comparison'}</button></div>
    </form>
    ${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
    <div class="columns" aria-live="polite">
      ${columns.map(
        (column) => html`<article aria-label=${`Result of ${column.id}`}>
        <h3>${column.id}</h3>
        ${column.pending ? html`<p>Working…</p>` : ''}
        ${column.elapsedMs === undefined ? '' : html`<p>Time: ${(column.elapsedMs / 1000).toFixed(2)} s · Cost: ${formatUsd(column.response?.cost?.actual_usd ?? column.response?.cost?.estimated_usd)}</p>`}
        <${ErrorBox} error=${column.error} />
        ${
          column.response
            ? html`<${Warnings} warnings=${column.response.warnings} />
            ${column.response.data.map(
              (image) =>
                html`<${ImageCard} image=${{
                  model: column.response.model,
                  prompt: column.request.prompt,
                  requestId: column.response.request_id,
                  url: image.url,
                  urlExpiresAt: image.url_expires_at,
                  seed: image.seed,
                  revisedPrompt: image.revised_prompt,
                  width: image.width,
                  height: image.height,
                  mediaType: image.media_type,
                  provenance: provenanceText(image.provenance),
                  costUsd: column.response.cost?.actual_usd ?? column.response.cost?.estimated_usd,
                }} />`,
            )}`
            : ''
        }
      </article>`,
      )}
    </div>
  </section>`;
}
