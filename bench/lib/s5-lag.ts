// S5 lag: the same chunked replace on a GTID primary → replica pair (rowback/testing), the replica's SQL
// thread stopped for --stop seconds when the run starts, throttled at --limit seconds of lag. A heartbeat
// of this script's own (a row on the primary updated every 100 ms, read on the replica) measures the lag
// independently of rowback's. Prints one `== S5lag …` line: the peak lag while the run was writing
// (from its first chunk on) against the target limit + one chunk.
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { createConnection } from 'mysql2/promise';
import { apply, connect } from 'rowback';
import { startReplicaPair } from 'rowback/testing';
import { argValue } from './bench-target.ts';
import { s2Module } from './s2-restore-module.ts';

const chunk = Number(argValue('chunk', '1000'));
const limit = Number(argValue('limit', '5'));
const stopSeconds = Number(argValue('stop', '8'));
const dump = argValue('dump');
const damage = process.env.DAMAGE_SQL ?? '';

function mysql(port: number, schema: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'mysql',
      ['--no-defaults', '--default-character-set=utf8mb4', '-uroot', '-h127.0.0.1', `-P${port}`, schema],
      {
        stdio: ['pipe', 'inherit', 'inherit'],
      },
    );
    createReadStream(file).pipe(child.stdin);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`mysql exited ${code}`))));
  });
}

await using pair = await startReplicaPair();
const p = await createConnection({
  host: '127.0.0.1',
  port: pair.primary.port,
  user: 'root',
  multipleStatements: true,
});
const r = await createConnection({ host: '127.0.0.1', port: pair.replica.port, user: 'root' });
await p.query(`CREATE DATABASE s2_b; CREATE DATABASE s2_l; CREATE DATABASE s2_scope; CREATE DATABASE s5lag;
  CREATE TABLE s2_scope.scope (id bigint(20) unsigned NOT NULL PRIMARY KEY) ENGINE=InnoDB;
  CREATE TABLE s5lag.beat (id INT PRIMARY KEY, ts DATETIME(6) NOT NULL); INSERT INTO s5lag.beat VALUES (1, UTC_TIMESTAMP(6))`);
const loaded = performance.now();
await mysql(pair.primary.port, 's2_b', dump);
await mysql(pair.primary.port, 's2_l', dump);
await p.query('INSERT INTO s2_scope.scope SELECT ID FROM s2_b.wp_users WHERE ID % 10 = 7');
// The kit's damage SQL runs in s2_l (peers.sh: `mysql s2_l -e "$damage_sql"`).
await p.query('USE s2_l');
if (damage) await p.query(damage);
await pair.waitForReplicaCatchUp(1_800_000);
console.log(
  `setup (untimed): pair loaded and in sync in ${((performance.now() - loaded) / 1000).toFixed(1)} s`,
);

const samples: { at: number; lag: number }[] = [];
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    await p.query('UPDATE s5lag.beat SET ts = UTC_TIMESTAMP(6) WHERE id = 1');
    const [[now]] = (await p.query('SELECT UTC_TIMESTAMP(6) AS t')) as unknown as [[{ t: Date }]];
    const [[seen]] = (await r.query('SELECT ts FROM s5lag.beat WHERE id = 1')) as unknown as [[{ ts: Date }]];
    samples.push({ at: performance.now(), lag: (now.t.getTime() - seen.ts.getTime()) / 1000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
})();

await using target = await connect(`${pair.primary.url}/s2_l`);
const chunkEnds: number[] = [];
await pair.stopReplicaSql();
const started = performance.now();
const restart = setTimeout(() => void pair.startReplicaSql(), stopSeconds * 1000);
const report = await apply(
  target,
  s2Module('replace', chunk),
  {},
  {
    confirm: true,
    controlSchema: 'rb_bench_ledger',
    workspaceSchema: 'rb_bench_s5lag',
    throttle: { replicas: [pair.replica.url], maxReplicaLagSeconds: limit, pollMs: 200 },
    onEvent: (e) => {
      if (e.type === 'step-end' && e.step.kind === 'chunk') chunkEnds.push(performance.now());
    },
  },
);
clearTimeout(restart);
sampling = false;
await sampler;
await p.end();
await r.end();
if (report.status !== 'done') throw new Error(`apply ${report.status}: ${JSON.stringify(report.error)}`);
const chunks = report.steps.filter((s) => s.kind === 'chunk');
const slowest = Math.max(...chunks.map((s) => s.durationMs)) / 1000;
const firstCommit = chunkEnds[0] ?? Number.POSITIVE_INFINITY;
const firstStart = firstCommit - (chunks[0]?.durationMs ?? 0);
const peak = (from: number) => Math.max(0, ...samples.filter((s) => s.at >= from).map((s) => s.lag));
const writing = peak(firstStart);
const ok = writing <= limit + slowest;
const line = [
  `== S5lag chunk_users=${chunk} chunks=${chunks.length} limit_s=${limit} sql_thread_stopped_s=${stopSeconds}`,
  `run_s=${((performance.now() - started) / 1000).toFixed(1)} pauses=${report.throttle?.pauses.length}`,
  `waited_s=${((report.throttle?.pauses.reduce((n, x) => n + x.waitedMs, 0) ?? 0) / 1000).toFixed(1)}`,
  `peak_lag_s_while_stopped=${peak(started).toFixed(1)} peak_lag_s_while_writing=${writing.toFixed(2)}`,
  `slowest_chunk_s=${slowest.toFixed(2)} rowback_peak_lag_s=${report.throttle?.peakLagSeconds?.toFixed(2)}`,
  `target=limit+one_chunk=${(limit + slowest).toFixed(2)} ${ok ? 'met' : 'MISSED'}`,
  `agreement=${report.agreement?.map((x) => x.status).join(',')}`,
].join(' ');
console.log(line);
