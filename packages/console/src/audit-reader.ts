import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type AuditPublicKeys, sortAuditFiles, verifyAuditLog } from '@pixelgate/core/audit';
import type { AuditRecord } from '@pixelgate/core/spec';

/** Whether the audit log behind a reader proves itself, in the console's words. */
export interface AuditChainStatus {
  /** `verified`: the chain and signatures check out; `broken`: they do not; `unchained`: this sink keeps no chain. */
  state: 'verified' | 'broken' | 'unchained';
  /** One sentence for the operator. */
  detail: string;
}

/**
 * Read access to recent audit records and the state of their chain, for the console's audit
 * view. Sinks only write; a reader is what a deployment hands the console to show them.
 */
export interface AuditReader {
  /** The newest records first, at most `limit`, of one tenant or of all when `tenantId` is absent. */
  recent(filter: { tenantId?: string; limit: number }): Promise<AuditRecord[]>;
  verify(): Promise<AuditChainStatus>;
}

/** A reader over records kept in memory (the memory sink's `records`); memory records form no chain. */
export function memoryAuditReader(sink: { readonly records: readonly AuditRecord[] }): AuditReader {
  return {
    async recent({ tenantId, limit }) {
      const matching = sink.records.filter(
        (record) => tenantId === undefined || record.tenantId === tenantId,
      );
      return matching.slice(-limit).reverse();
    },
    async verify() {
      return {
        state: 'unchained',
        detail: 'The memory audit sink keeps no hash chain; use the file or PostgreSQL sink in production.',
      };
    },
  };
}

/** Options of {@link fileAuditReader}. */
export interface FileAuditReaderOptions {
  /** The file audit sink's directory. */
  directory: string;
  /** The checkpoint signers' public keys. */
  publicKeys: AuditPublicKeys;
  /** Newest files read for `recent` (default 4); older records stay in the log, unread by the view. */
  maxFiles?: number;
}

/** A reader over the file audit sink's directory: records from its newest files, chain state from the verifier. */
export function fileAuditReader(options: FileAuditReaderOptions): AuditReader {
  return {
    async recent({ tenantId, limit }) {
      const names = sortAuditFiles(await readdir(options.directory)).slice(-(options.maxFiles ?? 4));
      const records: AuditRecord[] = [];
      for (const name of names) {
        const text = await readFile(join(options.directory, name), 'utf8');
        for (const line of text.split('\n')) {
          const entry = parseLine(line);
          if (entry && (tenantId === undefined || entry.tenantId === tenantId)) records.push(entry);
        }
      }
      return records.slice(-limit).reverse();
    },
    async verify() {
      try {
        const result = await verifyAuditLog(options.directory, {
          publicKeys: options.publicKeys,
          allowUnsignedTail: true,
        });
        if (!result.ok && result.records === 0 && result.firstBroken?.reason === 'the log holds no records') {
          // A log just opened: verified as far as it goes, which is its signed opening.
          return { state: 'verified', detail: 'No records yet; the log is open and signed.' };
        }
        if (!result.ok) {
          const reason = result.firstBroken ? `: ${result.firstBroken.reason}` : '';
          return { state: 'broken', detail: `The chain breaks after record ${result.lastSeq}${reason}.` };
        }
        const signedThrough = result.lastSeq - result.unsignedTail;
        const signed =
          signedThrough > 0 ? `signed through record ${signedThrough}` : 'no signed checkpoint yet';
        const tail =
          result.unsignedTail > 0
            ? `; ${result.unsignedTail} later record(s) chained, not yet checkpointed`
            : '';
        return {
          state: 'verified',
          detail: `${result.records} record(s) chained and verified through record ${result.lastSeq}, ${signed}${tail}.`,
        };
      } catch (error) {
        return {
          state: 'broken',
          detail: error instanceof Error ? error.message : 'The log could not be read.',
        };
      }
    },
  };
}

function parseLine(line: string): AuditRecord | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as { type?: string } & AuditRecord;
    return entry.type === 'checkpoint' ? undefined : entry;
  } catch {
    return undefined; // a partial last line of a crashed writer
  }
}
