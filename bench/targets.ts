import type { PeerSummary } from './results.ts';

/**
 * A target of issue 17 (round 2; issue 8's were looser): rowback's median ÷ a baseline's median (a sum of
 * peers for multi-statement SQL), at most `max`.
 */
export interface Target {
  readonly key: string;
  /** rowback peers, first one measured wins. */
  readonly lib: readonly string[];
  /** Baseline alternatives; each alternative is a list of peers whose medians add up. */
  readonly baseline: readonly (readonly string[])[];
  readonly baselineName: string;
  readonly max: number;
}

export const TARGETS: readonly Target[] = [
  {
    key: 'S1',
    lib: ['lib-extract'],
    baseline: [['mysql-pre-extracted-floor']],
    baselineName: 'mysql < pre-cut tables',
    max: 0.5,
  },
  {
    key: 'S1gz',
    lib: ['lib-extract-gz'],
    baseline: [['mysql-pre-extracted-floor']],
    baselineName: 'mysql < pre-cut tables',
    max: 0.6,
  },
  {
    key: 'S1f',
    lib: ['lib-extract-filtered'],
    baseline: [['mysql-pre-extracted-floor']],
    baselineName: 'mysql < pre-cut tables',
    max: 0.15,
  },
  {
    key: 'S2r',
    lib: ['lib-apply-replace-run', 'lib-apply-replace'],
    baseline: [['sql-blanket-replace-1trx']],
    baselineName: 'hand-written blanket replace',
    max: 1.25,
  },
  {
    key: 'S2a',
    lib: ['lib-apply-allowlist-run', 'lib-apply-allowlist'],
    baseline: [['sql-allowlist-update-users', 'sql-allowlist-update-usermeta-keys']],
    baselineName: 'hand-written allow-list UPDATEs (users + usermeta)',
    max: 1.25,
  },
  // The honest S2 peers: the same hand-written SQL preceded by a copy of the rows it changes, because
  // rowback always keeps a before-image (lib-hook.sh writes these references).
  {
    key: 'S2rc',
    lib: ['lib-apply-replace-run', 'lib-apply-replace'],
    baseline: [['ref-sql-replace-with-copy']],
    baselineName: 'hand-written blanket replace + before-image copy',
    max: 1.0,
  },
  {
    key: 'S2ac',
    lib: ['lib-apply-allowlist-run', 'lib-apply-allowlist'],
    baseline: [['ref-sql-allowlist-with-copy']],
    baselineName: 'hand-written allow-list UPDATEs + before-image copy',
    max: 1.0,
  },
  {
    key: 'S3',
    lib: ['lib-copy'],
    baseline: [['mysqldump-where-in-pipe'], ['mysqldump-where-subquery-pipe']],
    baselineName: 'mysqldump --where | mysql',
    max: 0.8,
  },
  {
    key: 'S4',
    lib: ['lib-diff'],
    baseline: [['sql-rowhash-join-CRC32']],
    baselineName: 'server-side CRC32 row-hash join',
    max: 0.9,
  },
  // Issue 14: chunked and throttled on a 3-node Galera cluster, against the kit's one transaction there.
  {
    key: 'S5',
    lib: ['lib-apply-galera-chunked'],
    baseline: [['galera-sql-blanket-replace-1trx']],
    baselineName: 'hand-written blanket replace, one transaction, on Galera',
    max: 1.5,
  },
];

export const RSS_LIMIT_MB = 200;

export function targetByKey(key: string): Target {
  const target = TARGETS.find((t) => t.key === key);
  if (!target) throw new Error(`no bench target ${key}`);
  return target;
}

export interface TargetResult {
  readonly target: Target;
  readonly libPeer: string | null;
  readonly libSeconds: number | null;
  readonly baselineSeconds: number | null;
  readonly ratio: number | null;
}

export function evaluate(target: Target, peers: ReadonlyMap<string, PeerSummary>): TargetResult {
  const lib = target.lib.map((p) => peers.get(p)).find((p) => p !== undefined) ?? null;
  const alternative = target.baseline.find((peerList) => peerList.every((p) => peers.has(p)));
  const baselineSeconds = alternative ? alternative.reduce((sum, p) => sum + peers.get(p)!.seconds, 0) : null;
  const ratio = lib && baselineSeconds ? lib.seconds / baselineSeconds : null;
  return { target, libPeer: lib?.peer ?? null, libSeconds: lib?.seconds ?? null, baselineSeconds, ratio };
}

/** Ratio of one peer's median to another's, for the secondary targets (≥ 5× faster than …). */
export function speedup(
  peers: ReadonlyMap<string, PeerSummary>,
  slow: readonly string[],
  fast: string,
): number | null {
  const f = peers.get(fast);
  if (!f || !slow.every((p) => peers.has(p))) return null;
  return slow.reduce((sum, p) => sum + peers.get(p)!.seconds, 0) / f.seconds;
}
