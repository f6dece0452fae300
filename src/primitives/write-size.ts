import { type Kysely, sql } from 'kysely';
import { type ClusterTopology, quoteId, type TableRef, writeLimits } from '../db/index.ts';
import { SizeLimitError } from '../errors/index.ts';
import { joinOn } from './sql-fragments.ts';
import { readTableMetadata } from './table-metadata.ts';
import type { Scope } from './types.ts';

export interface WriteSizeOptions {
  readonly scope: Scope;
  /** Backup table; its scoped rows are what the write puts in. */
  readonly from?: TableRef;
  /** Columns of the table matched to the scope's key (default: the key's names). */
  readonly on?: string | readonly string[];
}

export interface WriteSizeEstimate {
  readonly liveRows: number;
  readonly liveBytes: number;
  readonly backupRows: number;
  readonly backupBytes: number;
  /**
   * Bytes the transaction would carry in a full-row-image binlog (what Group Replication's
   * transaction size limit measures): the before-image copy and the old image of every changed row
   * (2 × live), plus the new image of every written row (backup). An upper bound: unchanged rows count.
   */
  readonly estimatedBytes: number;
  /** Rows the transaction changes, counted the same way (what Galera's `wsrep_max_ws_rows` limits). */
  readonly estimatedRows: number;
}

async function scopedBytes(db: Kysely<any>, table: TableRef, scope: Scope, on: readonly string[]) {
  const meta = await readTableMetadata(db, table);
  const length = meta.columns
    .map((c) => `COALESCE(LENGTH(CONCAT(${quoteId('t')}.${quoteId(c.name)})), 0)`)
    .join(' + ');
  const result = await sql
    .raw<{ n: string | number; bytes: string | number | null }>(
      `SELECT COUNT(*) AS n, SUM(${length}) AS bytes FROM ${table.qualified} AS ${quoteId('t')}
       JOIN ${scope.table.qualified} AS ${quoteId('s')} ON ${joinOn('t', on, 's', scope.key)}`,
    )
    .execute(db);
  const row = result.rows[0];
  return { rows: Number(row?.n ?? 0), bytes: Number(row?.bytes ?? 0) };
}

/**
 * Estimates a write's size from the scoped rows' data lengths, computed on the server. The runner
 * compares it with the cluster's limits (`writeLimits`) or a cap (`checkWriteSize`) and offers chunked
 * mode (`splitScope`) above them.
 *
 * @example
 * const size = await estimateWriteBytes(db, live('wp_usermeta'), { scope: users, on: 'user_id', from });
 */
export async function estimateWriteBytes(
  db: Kysely<any>,
  table: TableRef,
  options: WriteSizeOptions,
): Promise<WriteSizeEstimate> {
  const on = options.on === undefined ? [...options.scope.key] : [options.on].flat();
  const live = await scopedBytes(db, table, options.scope, on);
  const backup = options.from
    ? await scopedBytes(db, options.from, options.scope, on)
    : { rows: 0, bytes: 0 };
  return Object.freeze({
    liveRows: live.rows,
    liveBytes: live.bytes,
    backupRows: backup.rows,
    backupBytes: backup.bytes,
    estimatedBytes: 2 * live.bytes + backup.bytes,
    estimatedRows: 2 * live.rows + backup.rows,
  });
}

/**
 * The byte limit in force: the smallest of Galera's `wsrep_max_ws_size`, Group Replication's
 * transaction size limit (where active and non-zero) and `cap`, or null.
 */
export function transactionSizeLimit(topology: ClusterTopology, cap?: number): number | null {
  return writeLimits(topology, cap).maxBytes;
}

/**
 * Throws `SizeLimitError` when the estimate exceeds the limit in force.
 *
 * @example checkWriteSize(target.topology, size.estimatedBytes, 100 * 1024 * 1024);
 */
export function checkWriteSize(topology: ClusterTopology, estimatedBytes: number, cap?: number): void {
  const limit = transactionSizeLimit(topology, cap);
  if (limit === null || estimatedBytes <= limit) return;
  throw new SizeLimitError(
    `the transaction would carry about ${estimatedBytes} bytes, over the limit of ${limit}`,
    {
      hint: 'split it with { chunk: n } (commits per key chunk: resumable, not atomic), or narrow the scope',
      facts: { estimatedBytes, limit },
    },
  );
}
