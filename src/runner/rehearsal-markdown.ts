import { table } from './markdown.ts';
import type { RehearsalReport } from './rehearsal-report.ts';
import { stepsTable } from './report-markdown.ts';

/** A rehearsal for people: verdicts, server differences, rows copied, checksums, the forecast. */
export function renderRehearsalMarkdown(report: RehearsalReport): string {
  const verdict = (v: boolean | null) => (v === null ? 'not reached' : v ? 'exact' : 'NOT exact');
  const out: string[] = [
    `# rehearse ${report.moduleId}: ${report.status}`,
    '',
    `Live target ${report.target.host} / ${report.target.schema} (${report.target.flavour} ${report.target.version}), read only; scopes from plan run ${report.planRunId}. Rehearsed on ${report.server.flavour} ${report.server.version} (${report.server.provider}).`,
    '',
    `Apply: ${verdict(report.applyExact)}. Undo: ${verdict(report.undoExact)} (checksums of every table).`,
    '',
  ];
  if (report.notices.length) out.push('## Notices', '', ...report.notices.map((n) => `- ${n}`), '');
  out.push(
    '## Rows copied from live',
    '',
    table(
      ['table', 'rows', 'triggers', 'foreign keys', 'why'],
      report.tables.map((t) => [t.table, t.rows, t.triggers, t.foreignKeys, t.reasons.join('; ')]),
    ),
    '',
  );
  if (report.transactions.length) {
    out.push(
      '## Transactions against the target limits',
      '',
      table(
        ['transaction', 'est. bytes', 'rows', 'limits'],
        report.transactions.map((t) => [
          t.name,
          t.estimatedBytes,
          t.rows,
          t.limits.map((l) => `${l.variable}=${l.value}: ${l.within ? 'within' : 'OVER'}`).join(', ') ||
            'none set',
        ]),
      ),
      '',
    );
  }
  if (report.apply) out.push('## Forecast: the rehearsed apply', '', stepsTable(report.apply.steps), '');
  if (report.error) out.push('## Error', '', `**${report.error.name}**: ${report.error.message}`, '');
  return `${out.join('\n').trimEnd()}\n`;
}
