// S2 through the runner: apply() of a restore module (lock, ledger run/steps/artifacts, scope step,
// scoped-row hash and size estimate per write, before-images, ledger row committed with the data).
import { apply } from 'rowback';
import { argValue, benchTarget, since } from './bench-target.ts';
import { s2Module } from './s2-restore-module.ts';

const strategy = argValue('strategy') === 'replace' ? 'replace' : 'allowlist';

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget('s2_l');
try {
  const report = await apply(
    target,
    s2Module(strategy),
    {},
    {
      confirm: true,
      force: true,
      controlSchema: 'rb_bench_ledger',
      workspaceSchema: 'rb_bench_s2run',
    },
  );
  if (report.status !== 'done') throw new Error(`apply ${report.status}: ${JSON.stringify(report.error)}`);
  for (const step of report.steps)
    console.log(`step ${step.name} ${step.kind}: ${step.rows} rows, ${step.durationMs} ms`);
  const writes = report.steps
    .filter((s) => s.kind === 'transaction')
    .reduce((sum, s) => sum + (s.rows ?? 0), 0);
  console.log(`s2-apply ${strategy} (runner, run ${report.runId}) in ${since(start)}`);
  console.log(writes);
} finally {
  await target.close();
}
