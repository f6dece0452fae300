import type { ClusterTopology } from './cluster-topology.ts';

/** The largest transaction the cluster accepts: what one commit (a writeset) may carry. Frozen. */
export interface WriteLimits {
  /** Bytes; null for no limit. */
  readonly maxBytes: number | null;
  /** Rows changed (Galera's `wsrep_max_ws_rows`); null for no limit. */
  readonly maxRows: number | null;
  /** Which server settings the limits come from, for messages. */
  readonly source: string | null;
}

const positive = (n: number | null | undefined) => (n && n > 0 ? n : null);

/**
 * The transaction limits in force on this member: Galera's `wsrep_max_ws_size` / `wsrep_max_ws_rows`,
 * Group Replication's `group_replication_transaction_size_limit`, and `cap` (a module's `maxBytes`),
 * the smallest of each kind. 0 means "no limit" for all three server settings.
 *
 * @example const { maxBytes, maxRows } = writeLimits(target.topology, 100 << 20);
 */
export function writeLimits(topology: ClusterTopology, cap?: number): WriteLimits {
  const bytes: [number, string][] = [];
  const galeraBytes = positive(topology.galera?.maxWsBytes);
  if (galeraBytes) bytes.push([galeraBytes, 'wsrep_max_ws_size']);
  const grBytes = positive(topology.groupReplication?.transactionSizeLimit);
  if (grBytes) bytes.push([grBytes, 'group_replication_transaction_size_limit']);
  const capBytes = positive(cap);
  if (capBytes) bytes.push([capBytes, 'maxBytes']);
  const smallest = bytes.sort((a, b) => a[0] - b[0])[0];
  const maxRows = positive(topology.galera?.maxWsRows);
  const source = [smallest?.[1], maxRows ? 'wsrep_max_ws_rows' : undefined].filter(Boolean).join(', ');
  return Object.freeze({ maxBytes: smallest?.[0] ?? null, maxRows, source: source || null });
}
