// S2 through the primitives (no runner, no ledger): one READ COMMITTED transaction on live s2_l, as the
// runner opens it; before-images and key tables in the workspace `rb_bench_s2`, created on a second
// connection. --strategy replace: replaceRows(wp_users) + replaceChildren(wp_usermeta);
// --strategy allowlist: upsertColumns(wp_users, 4 columns) + upsertColumns(wp_usermeta, meta_value).
import { openWorkspace, replaceChildren, replaceRows, upsertColumns, type WriteContext } from 'rowback';
import { argValue, benchTarget, since } from './bench-target.ts';
import { backupUsermeta, backupUsers, kitScope, USER_ALLOW_LIST, USERMETA_ALLOW_WHERE } from './s2-scope.ts';

const strategy = argValue('strategy');
const scope = kitScope(Number(argValue('k')));

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget('s2_l');
try {
  const workspace = await openWorkspace(target, { schema: 'rb_bench_s2' });
  const trx = await target.db.startTransaction().setIsolationLevel('read committed').execute();
  const ctx: WriteContext = {
    tx: trx,
    ddl: target.db,
    server: target.server,
    liveSchema: 's2_l',
    workspace,
    recorder: { record: async () => undefined },
    stepName: `s2_${Date.now().toString(36)}`,
    mode: 'apply',
  };
  const results = [];
  try {
    if (strategy === 'replace') {
      results.push(await replaceRows(ctx, 'wp_users', { from: backupUsers, scope }));
      console.log(`replaceRows wp_users done at ${since(start)}`);
      results.push(
        await replaceChildren(ctx, 'wp_usermeta', { from: backupUsermeta, parentKey: 'user_id', scope }),
      );
    } else {
      results.push(
        await upsertColumns(ctx, 'wp_users', { from: backupUsers, scope, columns: USER_ALLOW_LIST }),
      );
      console.log(`upsertColumns wp_users done at ${since(start)}`);
      results.push(
        await upsertColumns(ctx, 'wp_usermeta', {
          from: backupUsermeta,
          scope,
          on: 'user_id',
          columns: ['meta_value'],
          where: USERMETA_ALLOW_WHERE,
        }),
      );
    }
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  for (const r of results)
    console.log(
      `${r.kind} ${r.table}: -${r.deleted} ~${r.updated} +${r.inserted} (before-image ${r.undo.beforeImage.schema}.${r.undo.beforeImage.name})`,
    );
  console.log(`s2-apply ${strategy} (primitives) in ${since(start)}`);
  console.log(results.reduce((sum, r) => sum + r.rows, 0));
} finally {
  await target.close();
}
