// S5: the S2 blanket replace applied chunked through the runner on node 1 of the kit's Galera cluster,
// throttled on the other nodes' flow control (named with `replicas`: the kit's nodes leave
// wsrep_node_incoming_address at AUTO), with the final agreement check on every node.
import { apply, connect } from 'rowback';
import { argValue, since } from './bench-target.ts';
import { s2Module } from './s2-restore-module.ts';

const start = performance.now();
const chunk = Number(argValue('chunk', '1000'));
const [node1, ...others] = (process.env.S5_NODE_URLS ?? '').split(' ').filter(Boolean);
if (!node1) throw new Error('S5_NODE_URLS is not set (peers.sh S5 sets it)');
const target = await connect(`${node1}s2_l`);
console.log(`node start + imports + connect: ${since(0)}`);
try {
  const report = await apply(
    target,
    s2Module('replace', chunk),
    {},
    {
      confirm: true,
      force: true,
      controlSchema: 'rb_bench_ledger',
      workspaceSchema: 'rb_bench_s5',
      throttle: { replicas: others },
    },
  );
  if (report.status !== 'done') throw new Error(`apply ${report.status}: ${JSON.stringify(report.error)}`);
  for (const step of report.steps)
    console.log(`step ${step.name} ${step.kind}: ${step.rows} rows, ${step.durationMs} ms`);
  const chunks = report.steps.filter((s) => s.kind === 'chunk');
  const slowest = Math.max(...chunks.map((s) => s.durationMs));
  console.log(`chunks: ${chunks.length} of ${chunk} users, slowest ${slowest} ms`);
  console.log(
    `throttle: watching ${report.throttle?.watching.join(', ')}; pauses ${report.throttle?.pauses.length}`,
  );
  console.log(`agreement: ${report.agreement?.map((p) => `${p.member}=${p.status}`).join(' ')}`);
  if (report.agreement?.some((p) => p.status !== 'agree')) throw new Error('a node does not agree');
  console.log(`s5-apply-galera (run ${report.runId}) in ${since(start)}`);
  console.log(chunks.reduce((sum, s) => sum + (s.rows ?? 0), 0));
} finally {
  await target.close();
}
