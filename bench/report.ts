import type { PeerSummary } from './results.ts';
import { evaluate, RSS_LIMIT_MB, speedup, TARGETS, type TargetResult, targetByKey } from './targets.ts';

/** Each scenario group's floor peer (ratio denominator), as the kit's report.py has them. */
const FLOORS: Readonly<Record<string, readonly string[]>> = {
  S1: ['mysql-pre-extracted-floor'],
  S2: ['sql-blanket-replace-1trx'],
  S3: ['mysqldump-where-in-pipe', 'mysqldump-where-subquery-pipe'],
  S4: ['sql-rowhash-join-CRC32', 'sql-rowhash-join-MD5'],
  S5: ['galera-sql-blanket-replace-chunked'],
};

const fmt = (n: number | null, digits = 2) => (n === null || !Number.isFinite(n) ? 'NA' : n.toFixed(digits));
const mb = (kb: number) => (Number.isFinite(kb) ? (kb / 1024).toFixed(0) : 'NA');

/** Markdown table per scenario group: every peer and rowback, median seconds, ×floor, rows, RSS. */
export function peerTables(peers: ReadonlyMap<string, PeerSummary>): string {
  const out: string[] = [];
  for (const group of ['S1', 'S2', 'S3', 'S4', 'S5']) {
    const rows = [...peers.values()].filter((p) => p.scenario.startsWith(group));
    if (rows.length === 0) continue;
    const floorPeer = (FLOORS[group] ?? []).map((p) => peers.get(p)).find((p) => p !== undefined);
    out.push(`\n### ${group} (floor: ${floorPeer?.peer ?? 'not measured'})\n`);
    out.push('| scen | peer | s (median) | ×floor | n, min–max | rows | maxrss MB | srv cpu s | rc |');
    out.push('|---|---|---|---|---|---|---|---|---|');
    for (const p of rows) {
      const ratio = floorPeer ? p.seconds / floorPeer.seconds : null;
      const name = p.peer.startsWith('lib-') ? `**${p.peer}**` : p.peer;
      const spread = p.n > 1 ? `${p.n}, ${fmt(p.min)}–${fmt(p.max)}` : '1';
      out.push(
        `| ${p.scenario} | ${name} | ${fmt(p.seconds)} | ${fmt(ratio)}× | ${spread} | ${p.rows} | ${mb(p.maxrssKb)} | ${fmt(p.srvCpuSeconds)} | ${p.rc} |`,
      );
    }
  }
  return out.join('\n');
}

/** The rowback-vs-target table: ratio, target, met or missed. */
export function targetTable(peers: ReadonlyMap<string, PeerSummary>): string {
  const out = [
    '| target | rowback peer | rowback s | baseline | baseline s | ratio | target | met |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const t of TARGETS) {
    const r = evaluate(t, peers);
    const met = r.ratio === null ? 'NA' : r.ratio <= t.max ? 'yes' : '**no**';
    out.push(
      `| ${t.key} | ${r.libPeer ?? '–'} | ${fmt(r.libSeconds)} | ${t.baselineName} | ${fmt(r.baselineSeconds)} | ${fmt(r.ratio)} | ≤ ${t.max} | ${met} |`,
    );
  }
  for (const alt of ['lib-apply-replace', 'lib-apply-allowlist']) {
    const base = targetByKey(alt.endsWith('replace') ? 'S2r' : 'S2a');
    const r = evaluate({ ...base, key: `${base.key} (primitives only)`, lib: [alt] }, peers);
    if (r.ratio !== null)
      out.push(
        `| ${base.key} primitives, no runner/ledger | ${alt} | ${fmt(r.libSeconds)} | ${base.baselineName} | ${fmt(r.baselineSeconds)} | ${fmt(r.ratio)} | ≤ ${base.max} | ${r.ratio <= base.max ? 'yes' : '**no**'} |`,
      );
  }
  const rss = maxLibRssMb(peers);
  out.push(
    `| RSS | all lib-* | | | | ${fmt(rss, 0)} MB | ≤ ${RSS_LIMIT_MB} MB | ${rss === null ? 'NA' : rss <= RSS_LIMIT_MB ? 'yes' : '**no**'} |`,
  );
  const whole = speedup(peers, ['mysql-whole-dump'], 'lib-extract');
  const ptSync = speedup(
    peers,
    ['pt-table-sync-print-wp_users', 'pt-table-sync-print-wp_usermeta'],
    'lib-diff',
  );
  out.push(
    `| S1 vs whole-dump load | lib-extract | | mysql-whole-dump | | ${fmt(whole)}× faster | ≥ 5× | ${whole === null ? 'NA' : whole >= 5 ? 'yes' : '**no**'} |`,
  );
  out.push(
    `| S4 vs pt-table-sync --print | lib-diff | | pt-table-sync-print (both tables) | | ${fmt(ptSync)}× faster | ≥ 5× | ${ptSync === null ? 'NA' : ptSync >= 5 ? 'yes' : '**no**'} |`,
  );
  return out.join('\n');
}

export function maxLibRssMb(peers: ReadonlyMap<string, PeerSummary>): number | null {
  const kb = [...peers.values()].filter((p) => p.peer.startsWith('lib-')).map((p) => p.maxrssKb);
  const finite = kb.filter(Number.isFinite);
  return finite.length ? Math.round(Math.max(...finite) / 1024) : null;
}

/** The last line `npm run bench` prints, exactly in the form. */
export function summaryLine(scale: number, peers: ReadonlyMap<string, PeerSummary>): string {
  const ratios = TARGETS.map((t): [string, TargetResult] => [t.key, evaluate(t, peers)]);
  const parts = ratios.map(([key, r]) => `${key}=${fmt(r.ratio)}`);
  return `bench: scale=${scale} ${parts.join(' ')} rss_mb=${fmt(maxLibRssMb(peers), 0)}`;
}
