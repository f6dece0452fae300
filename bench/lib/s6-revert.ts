// S6 through the runner: apply() of a restore module that reads the bad transaction from the binlog
// server's own log (replication protocol) and reverts the kit's 10 % scope three-way, keeping later
// changes (onConflict 'skip'). Window and scope come from the kit's s6.env (exported by peers.sh).
import { basename } from 'node:path';
import { apply, defineRestore, fromBinlog, sql } from 'rowback';
import { z } from 'zod';
import { since } from './bench-target.ts';

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this from the peer kit's S6 hook`);
  return value;
};
const window = {
  start: { file: basename(env('S6_START_FILE')), position: Number(env('S6_START_POS')) },
  stop: { file: basename(env('S6_STOP_FILE')), position: Number(env('S6_STOP_POS')) },
};
const scopeTable = env('S6_SCOPE_TABLE');

const restore = defineRestore({
  id: '20261204-bench-s6-revert',
  title: 'bench S6: revert the bad UPDATE from the binary log',
  params: z.object({}),
  async run(r) {
    const log = await r.extract('log', fromBinlog({ tables: ['wp_users', 'wp_usermeta'], ...window }));
    const users = await r.scope('users', sql`SELECT id AS ID FROM ${sql.raw(scopeTable)}`, {
      key: 'ID',
      keyFrom: 'wp_users',
    });
    const meta = await r.scope(
      'usermeta',
      sql`SELECT c.umeta_id FROM ${log.changes('wp_usermeta')} AS c JOIN ${users.table} AS s ON s.ID = c.user_id`,
      { key: 'umeta_id', keyFrom: 'wp_usermeta' },
    );
    await r.transaction('revert', async (tx) => {
      await tx.revert('wp_users', { from: log, scope: users, onConflict: 'skip' });
      await tx.revert('wp_usermeta', { from: log, scope: meta, onConflict: 'skip' });
    });
  },
});

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const { connect } = await import('rowback');
const target = await connect(env('S6_URL'));
try {
  const report = await apply(
    target,
    restore,
    {},
    {
      confirm: true,
      force: true,
      controlSchema: 'rb_bench_s6_ledger',
      workspaceSchema: 'rb_bench_s6',
    },
  );
  if (report.status !== 'done') throw new Error(`apply ${report.status}: ${JSON.stringify(report.error)}`);
  for (const step of report.steps)
    console.log(`step ${step.name} ${step.kind}: ${step.rows} rows, ${step.durationMs} ms`);
  for (const warning of report.warnings) console.log(`warning: ${warning.slice(0, 300)}`);
  const writes = report.steps.filter((s) => s.kind === 'transaction').reduce((n, s) => n + (s.rows ?? 0), 0);
  console.log(`s6-revert (runner, run ${report.runId}) in ${since(start)}`);
  console.log(writes);
} finally {
  await target.close();
}
