import type { AuditRecord, AuditSink } from './audit-record.ts';

/**
 * Keeps records in memory, in order: the default sink, and what tests read back. Bounded so a
 * long-running process cannot grow without limit (oldest records are dropped past `maxRecords`,
 * and `dropped` counts them, so loss is never silent).
 */
export class MemoryAuditSink implements AuditSink {
  readonly records: AuditRecord[] = [];
  dropped = 0;
  constructor(private readonly maxRecords = 10_000) {}

  async write(record: AuditRecord): Promise<void> {
    this.records.push(structuredClone(record));
    if (this.records.length > this.maxRecords) {
      this.records.shift();
      this.dropped++;
    }
  }
}
