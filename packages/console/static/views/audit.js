import { useEffect, useState } from 'preact/hooks';
import { ErrorBox, formatTime, formatUsd, html } from './shared.js';

const CHAIN_TEXT = {
  verified: 'Chain verified',
  broken: 'Chain BROKEN',
  unchained: 'Not chained',
  unavailable: 'Log not exposed',
};

/** The newest audit records of the caller (all tenants for an admin key) and whether the chain verifies. */
export function AuditView({ api }) {
  const [audit, setAudit] = useState(undefined);
  const [error, setError] = useState(undefined);
  const load = () => api.audit(50).then(setAudit, setError);
  useEffect(() => {
    load();
  }, [api]);
  if (error) return html`<section class="panel"><h2>Audit</h2><${ErrorBox} error=${error} /></section>`;
  if (!audit) return html`<section class="panel"><h2>Audit</h2><p>Loading…</p></section>`;
  return html`<section class="panel" aria-labelledby="audit-title">
    <h2 id="audit-title">Audit records${audit.admin ? ' (all tenants)' : ''}</h2>
    <p role="status" class=${audit.chain.state === 'broken' ? 'error' : audit.chain.state === 'verified' ? 'ok' : ''}>
      <strong data-chain=${audit.chain.state}>${CHAIN_TEXT[audit.chain.state] ?? audit.chain.state}</strong>: ${audit.chain.detail}
    </p>
    <p><button type="button" onClick=${load}>Refresh</button></p>
    <div class="table-wrap"><table>
      <caption class="visually-hidden">Newest audit records first</caption>
      <thead><tr><th scope="col">Time</th><th scope="col">Request</th>${audit.admin ? html`<th scope="col">Tenant</th>` : ''}<th scope="col">Model</th><th scope="col">Outcome</th><th scope="col">Error</th><th scope="col">Images</th><th scope="col">Cost</th></tr></thead>
      <tbody>${audit.records.map(
        (record) => html`<tr>
        <td>${formatTime(record.timestamp)}</td><td><code>${record.requestId}</code></td>
        ${audit.admin ? html`<td>${record.tenantId}</td>` : ''}
        <td>${record.model ?? record.requestedModel ?? ''}</td><td>${record.outcome}</td>
        <td>${record.error ? `${record.error.code}${record.error.param ? ` (${record.error.param})` : ''}` : ''}</td>
        <td>${record.images?.length ?? 0}</td><td>${formatUsd(record.cost?.actualUsd ?? record.cost?.estimatedUsd)}</td>
      </tr>`,
      )}</tbody>
    </table></div>
  </section>`;
}
