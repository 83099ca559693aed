/** Counts for one group (a tenant, a model). */
export interface EvidenceGroup {
  records: number;
  images: number;
  costUsd: number;
  outcomes: Record<string, number>;
}

/** What an evidence bundle says about its period, by tenant, model, outcome and label. */
export interface EvidenceSummary {
  period: { from: string; to: string };
  generatedAt: string;
  verification: {
    ok: boolean;
    records: number;
    checkpoints: number;
    keyIds: string[];
    firstBroken?: { file: string; line: number; seq?: number; reason: string };
  };
  /**
   * `unpriced`: requests that produced images (success or partial) without a price; refused and
   * failed requests without one cost nothing and are not counted.
   */
  totals: { records: number; images: number; costUsd: number; unpriced: number };
  byTenant: Record<string, EvidenceGroup>;
  byModel: Record<string, EvidenceGroup>;
  byOutcome: Record<string, number>;
  byLabel: Record<string, number>;
  byErrorCode: Record<string, number>;
  byDay: Record<string, number>;
  /** Blocked, rejected and failed requests of the period (the first 500), for review. */
  notable: Array<{
    requestId: string;
    timestamp: string;
    tenantId: string;
    model: string;
    outcome: string;
    labels: string[];
    errorCode?: string;
    /** The error's message and offending field, as recorded (plain words, never a value). */
    errorMessage?: string;
    errorParam?: string;
  }>;
  /** Notable requests beyond the first 500. */
  notableOmitted: number;
}

const emptyGroup = (): EvidenceGroup => ({ records: 0, images: 0, costUsd: 0, outcomes: {} });

/** Accumulates records into an {@link EvidenceSummary} one at a time (logs may be large). */
export class EvidenceSummaryBuilder {
  readonly totals = { records: 0, images: 0, costUsd: 0, unpriced: 0 };
  readonly byTenant: Record<string, EvidenceGroup> = {};
  readonly byModel: Record<string, EvidenceGroup> = {};
  readonly byOutcome: Record<string, number> = {};
  readonly byLabel: Record<string, number> = {};
  readonly byErrorCode: Record<string, number> = {};
  readonly byDay: Record<string, number> = {};
  readonly notable: EvidenceSummary['notable'] = [];
  notableOmitted = 0;

  add(record: Record<string, unknown>): void {
    const outcome = String(record.outcome ?? 'unknown');
    const images = Array.isArray(record.images) ? record.images.length : 0;
    const cost = record.cost as { actualUsd?: number; estimatedUsd?: number } | undefined;
    const usd = cost?.actualUsd ?? cost?.estimatedUsd;
    const bump = (group: EvidenceGroup) => {
      group.records++;
      group.images += images;
      group.costUsd = Math.round((group.costUsd + (usd ?? 0)) * 1e6) / 1e6;
      group.outcomes[outcome] = (group.outcomes[outcome] ?? 0) + 1;
    };
    this.totals.records++;
    this.totals.images += images;
    if (usd === undefined) {
      if (outcome === 'success' || outcome === 'partial') this.totals.unpriced++;
    } else this.totals.costUsd = Math.round((this.totals.costUsd + usd) * 1e6) / 1e6;
    const tenant = String(record.tenantId ?? '(none)');
    const model = String(record.model ?? record.requestedModel ?? '(none)');
    const tenantGroup = this.byTenant[tenant] ?? emptyGroup();
    const modelGroup = this.byModel[model] ?? emptyGroup();
    this.byTenant[tenant] = tenantGroup;
    this.byModel[model] = modelGroup;
    bump(tenantGroup);
    bump(modelGroup);
    this.byOutcome[outcome] = (this.byOutcome[outcome] ?? 0) + 1;
    for (const label of Array.isArray(record.labels) ? record.labels : []) {
      this.byLabel[String(label)] = (this.byLabel[String(label)] ?? 0) + 1;
    }
    const error = record.error as { code?: string; message?: string; param?: string } | undefined;
    if (error?.code) this.byErrorCode[error.code] = (this.byErrorCode[error.code] ?? 0) + 1;
    if (outcome === 'blocked' || outcome === 'rejected' || outcome === 'failed') {
      if (this.notable.length < 500) {
        this.notable.push({
          requestId: String(record.requestId ?? ''),
          timestamp: String(record.timestamp ?? ''),
          tenantId: tenant,
          model,
          outcome,
          labels: Array.isArray(record.labels) ? record.labels.map(String) : [],
          ...(error?.code ? { errorCode: error.code } : {}),
          ...(typeof error?.message === 'string' ? { errorMessage: error.message } : {}),
          ...(typeof error?.param === 'string' ? { errorParam: error.param } : {}),
        });
      } else {
        this.notableOmitted++;
      }
    }
    const day = typeof record.timestamp === 'string' ? record.timestamp.slice(0, 10) : 'unknown';
    this.byDay[day] = (this.byDay[day] ?? 0) + 1;
  }

  build(meta: Pick<EvidenceSummary, 'period' | 'generatedAt' | 'verification'>): EvidenceSummary {
    const sorted = <T>(object: Record<string, T>): Record<string, T> =>
      Object.fromEntries(Object.entries(object).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return {
      ...meta,
      totals: { ...this.totals },
      byTenant: sorted(this.byTenant),
      byModel: sorted(this.byModel),
      byOutcome: sorted(this.byOutcome),
      byLabel: sorted(this.byLabel),
      byErrorCode: sorted(this.byErrorCode),
      byDay: sorted(this.byDay),
      notable: [...this.notable],
      notableOmitted: this.notableOmitted,
    };
  }
}
