import type { OperationReport, RunReport } from '../runner/report.ts';
import { type Html, html } from './html.ts';

const WRITES: ReadonlySet<OperationReport['kind']> = new Set([
  'purge',
  'replaceRows',
  'upsertColumns',
  'replaceChildren',
]);

/**
 * The writes of the run, and what `undo` would put back from their before-images: the rows a write
 * deleted come back, the rows it inserted go, the rows it updated get their old values.
 */
export function writesSection(report: RunReport): Html | null {
  const writes = report.steps.flatMap((step) =>
    step.operations.filter((op) => WRITES.has(op.kind)).map((op) => ({ step, op })),
  );
  if (!writes.length && !report.transactions.length) return null;
  const intro =
    report.mode === 'plan'
      ? 'A plan rolls its transactions back: these are the writes an apply would make, and what undoing that apply would put back.'
      : report.status === 'done'
        ? `\`rowback undo ${report.runId ?? '<run>'}\` puts back what these writes changed, from the before-images taken in the same transaction.`
        : 'Writes of committed steps; undo puts back what they changed, from their before-images.';
  return html`<section id="writes"><h2>Writes, and what undo would put back</h2>
<p class="muted">${intro}</p>
${
  writes.length
    ? html`<div class="scroll"><table><thead><tr><th>step</th><th>write</th><th>table</th>
<th class="num">deleted</th><th class="num">inserted</th><th class="num">updated</th><th class="num">est. bytes</th><th>undo puts back</th></tr></thead><tbody>
${writes.map(
  ({
    step,
    op,
  }) => html`<tr data-write="${step.name}/${op.kind}/${op.table}" data-deleted="${op.deleted}" data-inserted="${op.inserted}" data-updated="${op.updated}">
<td>${step.name}</td><td>${op.kind}</td><td><code>${op.table}</code></td>
<td class="num">${op.deleted}</td><td class="num">${op.inserted}</td><td class="num">${op.updated}</td>
<td class="num">${op.estimatedBytes ?? ''}</td><td>${undoText(op)}</td></tr>`,
)}</tbody></table></div>`
    : null
}
${report.transactions.length ? transactions(report) : null}
</section>`;
}

function undoText(op: OperationReport): string {
  const parts = [
    op.deleted ? `re-inserts ${op.deleted} deleted row(s)` : '',
    op.inserted ? `deletes ${op.inserted} inserted row(s)` : '',
    op.updated ? `restores ${op.updated} updated row(s)` : '',
  ].filter(Boolean);
  return parts.length ? parts.join('; ') : 'nothing (no row changed)';
}

function transactions(report: RunReport): Html {
  return html`<div class="scroll"><table><thead><tr><th>transaction</th><th class="num">est. bytes</th><th class="num">limit</th><th>commit</th></tr></thead><tbody>
${report.transactions.map(
  (tx) => html`<tr data-transaction="${tx.name}" data-bytes="${tx.estimatedBytes}">
<td>${tx.name}</td><td class="num">${tx.estimatedBytes}</td><td class="num">${tx.limitBytes ?? 'none known'}</td>
<td>${tx.atomic ? 'atomic' : `NOT atomic: ${tx.chunksCommitted ?? 0}/${tx.chunks ?? '?'} chunks committed`}</td></tr>`,
)}</tbody></table></div>`;
}
