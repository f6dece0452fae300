import { cell, shown, table } from './markdown.ts';
import type { RunReport, StepReport } from './report.ts';
import { clusterSections } from './report-markdown-cluster.ts';

/** A run report for people: status, target, steps with counts vs gates, drift profiles, warnings. */
export function renderReportMarkdown(report: RunReport): string {
  const out: string[] = [];
  out.push(`# ${report.mode} ${report.moduleId}: ${report.status}`, '');
  out.push(`${report.title}`, '');
  out.push(
    table(
      ['run', 'target', 'workspace', 'checksum', 'started (UTC)'],
      [
        [
          report.runId ?? '-',
          `${report.target.host} / ${report.target.schema} (${report.target.flavour} ${report.target.version})`,
          report.workspace,
          report.checksum.slice(0, 12),
          report.startedAt,
        ],
      ],
    ),
    '',
  );
  if (report.resumedFrom) out.push(`Resumed from run ${report.resumedFrom}.`, '');
  if (report.forced) {
    out.push(
      report.mode === 'undo'
        ? 'Forced: rows changed after the run were overwritten.'
        : 'Forced: the module had been applied before.',
      '',
    );
  }
  out.push('## Steps', '', stepsTable(report.steps), '');
  const operations = report.steps.flatMap((s) =>
    s.operations.map((op) => [
      s.name,
      op.kind,
      op.table,
      op.deleted,
      op.inserted,
      op.updated,
      op.gate ?? '',
      op.estimatedBytes ?? '',
    ]),
  );
  if (operations.length) {
    out.push(
      '## Writes',
      '',
      table(
        ['step', 'operation', 'table', 'deleted', 'inserted', 'updated', 'gate', 'est. bytes'],
        operations,
      ),
      '',
    );
  }
  for (const tx of report.mode === 'undo' ? [] : report.transactions) {
    out.push(
      `Transaction **${tx.name}**: ~${tx.estimatedBytes} bytes${tx.limitBytes ? ` (limit ${tx.limitBytes})` : ''}, ${tx.atomic ? 'atomic' : `NOT atomic: ${tx.chunksCommitted}/${tx.chunks} chunks committed`}.`,
    );
  }
  if (report.transactions.length) out.push('');
  for (const profile of report.driftProfiles) {
    out.push(`## Column drift: ${profile.table} (${profile.step})`, '');
    out.push(`${profile.differingRows} of ${profile.scopedRows} scoped rows differ from the backup.`, '');
    out.push(
      table(
        ['column', 'rows differing', 'a blanket replace overwrites it outside the allow-list'],
        profile.columns.map((c) => [c.column, c.differing, c.outsideAllowList ? 'yes' : '']),
      ),
      '',
    );
    for (const sample of profile.samples) {
      out.push(`- ${cell(JSON.stringify(sample.key))} (${sample.status})`);
      for (const f of sample.fields) {
        out.push(
          f.textDiff
            ? `  - \`${f.column}\`:\n\n\`\`\`diff\n${f.textDiff.trimEnd()}\n\`\`\``
            : `  - \`${f.column}\`: live ${shown(f.live)} → backup ${shown(f.backup)}`,
        );
      }
    }
    if (profile.samples.length) out.push('');
  }
  out.push(...clusterSections(report));
  if (report.warnings.length) out.push('## Warnings', '', ...report.warnings.map((w) => `- ${w}`), '');
  if (report.error) {
    out.push('## Error', '', `**${report.error.name}**: ${report.error.message}`, '');
    if (report.error.hint) out.push(`What to do: ${report.error.hint}`, '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

export function stepsTable(steps: readonly StepReport[]): string {
  return table(
    ['#', 'step', 'kind', 'status', 'rows', 'gate', 'ms', 'note'],
    steps.map((s) => [
      s.seq,
      s.name,
      s.kind,
      s.status,
      s.rows ?? '',
      s.gate ?? '',
      s.durationMs,
      s.error ? `${s.error.name}: ${s.error.message}` : (s.note ?? ''),
    ]),
  );
}
