import { useEffect, useState } from 'preact/hooks';
import { lastRateLimit } from '../api.js';
import { ErrorBox, formatTime, formatUsd, html } from './shared.js';

/** The caller's budgets (spent, remaining) and rate limits, with the last x-ratelimit-* figures seen. */
export function UsageView({ api }) {
  const [usage, setUsage] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    api.usage().then(setUsage, setError);
  }, [api]);
  if (error) return html`<section class="panel"><h2>Usage</h2><${ErrorBox} error=${error} /></section>`;
  if (!usage) return html`<section class="panel"><h2>Usage</h2><p>Loading…</p></section>`;
  const seen = Object.entries(lastRateLimit.headers);
  return html`<section class="panel" aria-labelledby="usage-title">
    <h2 id="usage-title">Usage of ${usage.tenant_id}</h2>
    <h3>Budgets</h3>
    ${
      usage.budgets.length === 0
        ? html`<p>No budget applies to this key.</p>`
        : html`<div class="table-wrap"><table>
          <thead><tr><th scope="col">Budget</th><th scope="col">Spent</th><th scope="col">Remaining</th><th scope="col">Limit</th><th scope="col">Resets</th></tr></thead>
          <tbody>${usage.budgets.map(
            (budget) => html`<tr>
            <td>${budget.label}<br /><progress max=${budget.limit_usd} value=${budget.used_usd} aria-label=${`${budget.label}: ${formatUsd(budget.used_usd)} of ${formatUsd(budget.limit_usd)} spent`}></progress></td>
            <td>${formatUsd(budget.used_usd)}</td><td>${formatUsd(budget.remaining_usd)}</td><td>${formatUsd(budget.limit_usd)}</td>
            <td>${formatTime(budget.resets_at)}</td></tr>`,
          )}</tbody>
        </table></div>`
    }
    <h3>Rate limits</h3>
    ${
      usage.rate_limits.length === 0
        ? html`<p>No rate limit applies.</p>`
        : html`<ul>${usage.rate_limits.map((rule) => html`<li>${rule.limit} ${rule.unit} per ${rule.window_seconds} s per ${rule.scope}</li>`)}</ul>`
    }
    ${
      seen.length
        ? html`<p>As of your last request (${lastRateLimit.at.toLocaleTimeString()}):</p>
        <ul>${seen.map(([name, value]) => html`<li><code>${name}</code>: ${value}</li>`)}</ul>`
        : html`<p class="hint">Remaining requests show here after your first generation.</p>`
    }
  </section>`;
}
