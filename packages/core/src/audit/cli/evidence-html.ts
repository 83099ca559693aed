import type { EvidenceSummary } from './evidence-summary.ts';

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const COLORS: Record<string, string> = {
  success: '#2e7d32',
  partial: '#f9a825',
  blocked: '#c62828',
  rejected: '#6a1b9a',
  failed: '#455a64',
};

function top(entries: Record<string, number>, limit: number): Array<[string, number]> {
  return Object.entries(entries)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit);
}

/** A horizontal bar chart as inline SVG (no scripts, no external assets). */
function barChart(title: string, data: Array<[string, number]>, color = '#1565c0'): string {
  if (data.length === 0)
    return `<figure><figcaption>${escapeHtml(title)}</figcaption><p class="empty">No data.</p></figure>`;
  const max = Math.max(...data.map(([, value]) => value), 1);
  const rowHeight = 22;
  const labelWidth = 220;
  const barWidth = 360;
  const height = data.length * rowHeight + 8;
  const rows = data
    .map(([label, value], index) => {
      const y = index * rowHeight + 4;
      const width = Math.max(1, Math.round((value / max) * barWidth));
      const shown = label.length > 32 ? `${label.slice(0, 31)}…` : label;
      return [
        `<text x="${labelWidth - 6}" y="${y + 15}" text-anchor="end">${escapeHtml(shown)}</text>`,
        `<rect x="${labelWidth}" y="${y + 3}" width="${width}" height="${rowHeight - 6}" fill="${escapeHtml(COLORS[label] ?? color)}"><title>${escapeHtml(label)}: ${value}</title></rect>`,
        `<text x="${labelWidth + width + 6}" y="${y + 15}">${value}</text>`,
      ].join('');
    })
    .join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg role="img" aria-label="${escapeHtml(title)}" width="${labelWidth + barWidth + 60}" height="${height}" viewBox="0 0 ${labelWidth + barWidth + 60} ${height}">${rows}</svg></figure>`;
}

/**
 * A vertical bar chart of records per day, each bar labelled with its count; bars are at most 64 px
 * wide, so a one-day period shows one labelled bar rather than a block across the chart.
 */
function dayChart(byDay: Record<string, number>): string {
  const days = Object.entries(byDay);
  if (days.length === 0) return '';
  const max = Math.max(...days.map(([, value]) => value), 1);
  const width = 640;
  const height = 180;
  const step = width / days.length;
  const barWidth = Math.max(1, Math.min(64, step - 2));
  const bars = days
    .map(([day, value], index) => {
      const h = Math.max(1, Math.round((value / max) * (height - 50)));
      const x = index * step + (step - barWidth) / 2;
      const label =
        days.length <= 31
          ? `<text x="${(x + barWidth / 2).toFixed(1)}" y="${height - 24 - h}" text-anchor="middle">${value}</text>`
          : '';
      return `<rect x="${x.toFixed(1)}" y="${height - 20 - h}" width="${barWidth.toFixed(1)}" height="${h}" fill="#1565c0"><title>${escapeHtml(day)}: ${value}</title></rect>${label}`;
    })
    .join('');
  const first = escapeHtml(days[0]![0]);
  const last = escapeHtml(days[days.length - 1]![0]);
  const axis =
    days.length === 1
      ? `<text x="${width / 2}" y="${height - 4}" text-anchor="middle">${first}</text>`
      : `<text x="0" y="${height - 4}">${first}</text><text x="${width}" y="${height - 4}" text-anchor="end">${last}</text>`;
  return `<figure><figcaption>Requests per day</figcaption><svg role="img" aria-label="Requests per day" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${bars}${axis}</svg></figure>`;
}

function groupTable(title: string, groups: EvidenceSummary['byTenant']): string {
  const rows = Object.entries(groups)
    .map(
      ([name, group]) =>
        `<tr><td>${escapeHtml(name)}</td><td>${group.records}</td><td>${group.images}</td><td>$${group.costUsd.toFixed(4)}</td><td>${escapeHtml(
          Object.entries(group.outcomes)
            .map(([outcome, count]) => `${outcome} ${count}`)
            .join(', '),
        )}</td></tr>`,
    )
    .join('');
  return `<h2>${escapeHtml(title)}</h2><table><thead><tr><th>Name</th><th>Requests</th><th>Images</th><th>Cost</th><th>Outcomes</th></tr></thead><tbody>${rows || '<tr><td colspan="5">None</td></tr>'}</tbody></table>`;
}

/**
 * Renders the evidence bundle's readable page: one self-contained HTML file (inline CSS and SVG,
 * no scripts, no external assets, every value HTML-escaped) that a reviewer can open offline or
 * attach to an audit.
 */
export function renderEvidenceHtml(summary: EvidenceSummary, files: Record<string, string>): string {
  const v = summary.verification;
  const status = v.ok
    ? `<p class="ok">Verified: ${v.records} records, ${v.checkpoints} signed checkpoints, chain intact.</p>`
    : `<p class="bad">Verification FAILED at ${escapeHtml(v.firstBroken?.file ?? '?')} line ${escapeHtml(v.firstBroken?.line ?? '?')}${
        v.firstBroken?.seq === undefined ? '' : ` (seq ${escapeHtml(v.firstBroken.seq)})`
      }: ${escapeHtml(v.firstBroken?.reason ?? 'unknown')}.</p>`;
  const fileRows = Object.entries(files)
    .map(([name, hash]) => `<tr><td>${escapeHtml(name)}</td><td><code>${escapeHtml(hash)}</code></td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pixelgate audit evidence ${escapeHtml(summary.period.from)} to ${escapeHtml(summary.period.to)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:980px;color:#1b1b1b;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.25rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.ok{background:#e8f5e9;border:1px solid #2e7d32;padding:.6rem}.bad{background:#ffebee;border:1px solid #c62828;padding:.6rem}
figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}svg text{font:12px system-ui,sans-serif;fill:#333}.empty{color:#777}
code{font-size:12px;word-break:break-all}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}dt{font-weight:600}
</style>
</head>
<body>
<h1>Audit evidence</h1>
<dl>
<dt>Period</dt><dd>${escapeHtml(summary.period.from)} to ${escapeHtml(summary.period.to)} (end exclusive)</dd>
<dt>Generated</dt><dd>${escapeHtml(summary.generatedAt)}</dd>
<dt>Signing keys</dt><dd>${escapeHtml(v.keyIds.join(', ') || 'none')}</dd>
<dt>Requests</dt><dd>${summary.totals.records}</dd>
<dt>Images</dt><dd>${summary.totals.images}</dd>
<dt>Cost</dt><dd>$${summary.totals.costUsd.toFixed(4)}${summary.totals.unpriced ? ` (${summary.totals.unpriced} requests with images but without a price)` : ''}</dd>
</dl>
<h2>Integrity</h2>
${status}
<h2>Charts</h2>
${dayChart(summary.byDay)}
${barChart('Outcomes', top(summary.byOutcome, 10))}
${barChart('Top tenants by requests', top(Object.fromEntries(Object.entries(summary.byTenant).map(([k, g]) => [k, g.records])), 10))}
${barChart('Top models by requests', top(Object.fromEntries(Object.entries(summary.byModel).map(([k, g]) => [k, g.records])), 10), '#00838f')}
${barChart('Top classification labels', top(summary.byLabel, 15), '#ef6c00')}
${groupTable('By tenant', summary.byTenant)}
${groupTable('By model', summary.byModel)}
<h2>By error code</h2>
<table><thead><tr><th>Code</th><th>Requests</th></tr></thead><tbody>${
    Object.entries(summary.byErrorCode)
      .map(([code, count]) => `<tr><td>${escapeHtml(code)}</td><td>${count}</td></tr>`)
      .join('') || '<tr><td colspan="2">None</td></tr>'
  }</tbody></table>
<h2>Blocked, rejected and failed requests</h2>
<table><thead><tr><th>Time</th><th>Request</th><th>Tenant</th><th>Model</th><th>Outcome</th><th>Error</th><th>Field</th><th>Message</th><th>Labels</th></tr></thead><tbody>${
    summary.notable
      .map(
        (item) =>
          `<tr><td>${escapeHtml(item.timestamp)}</td><td><code>${escapeHtml(item.requestId)}</code></td><td>${escapeHtml(item.tenantId)}</td><td>${escapeHtml(item.model)}</td><td>${escapeHtml(item.outcome)}</td><td>${escapeHtml(item.errorCode ?? '')}</td><td>${escapeHtml(item.errorParam ?? '')}</td><td>${escapeHtml(item.errorMessage ?? '')}</td><td>${escapeHtml(item.labels.join(', '))}</td></tr>`,
      )
      .join('') || '<tr><td colspan="9">None</td></tr>'
  }</tbody></table>${summary.notableOmitted ? `<p>${summary.notableOmitted} more in records.jsonl.</p>` : ''}
<h2>Bundle files (SHA-256)</h2>
<table><thead><tr><th>File</th><th>SHA-256</th></tr></thead><tbody>${fileRows}</tbody></table>
<p>This bundle proves itself offline: <code>records.jsonl</code> holds the period's records, <code>chain.jsonl</code> the stretch of the log that links them to a signed checkpoint, and <code>manifest.json</code> the SHA-256 of every file (signed when the exporter had the signing key). Check it with <code>pixelgate audit verify &lt;this folder&gt; --public-key &lt;key.pem&gt;</code>, using a copy of the public key kept apart from the bundle.</p>
</body>
</html>
`;
}
