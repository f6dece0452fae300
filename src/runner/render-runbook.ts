import { RENDER_RUNBOOK } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import type { RestoreModule } from './define-restore.ts';
import { table } from './markdown.ts';
import type { RunReport } from './report.ts';

export interface RunbookOptions {
  /** The run whose steps and counts the Execution section shows (a plan or an apply). */
  readonly report?: RunReport | null;
}

/**
 * The module's runbook as Markdown: Context, Scope, Execution (every step with its gate and, given a
 * run, the counts it saw), Decisions, Retention, References. Nothing run-specific (ids, times) goes in
 * unless a run is given, so a committed README stays stable.
 */
export function renderRunbook(restore: RestoreModule, options: RunbookOptions = {}): string {
  checkCall(RENDER_RUNBOOK, { restore, options });
  const report = options.report ?? null;
  const runbook = restore.runbook ?? {};
  const out: string[] = [`# ${restore.id}: ${restore.title}`, ''];
  out.push('## Context', '', runbook.context?.trim() || '_No context written in the module._', '');
  out.push('## Scope', '');
  const scopes = report?.steps.filter((s) => s.kind === 'scope') ?? [];
  if (scopes.length) {
    out.push(
      table(
        ['scope', 'gate', 'rows found'],
        scopes.map((s) => [s.name, s.gate ?? '(none)', s.rows ?? '']),
      ),
      '',
    );
  } else {
    out.push(`_Scopes are listed once a plan has run: \`rowback plan ${restore.id}\`._`, '');
  }
  out.push('## Execution', '');
  if (report) {
    out.push(
      `From the ${report.mode} (status ${report.status}) on ${report.target.host} / ${report.target.schema}.`,
      '',
    );
    out.push(
      table(
        ['#', 'step', 'kind', 'gate', 'rows', 'status'],
        report.steps.map((s) => [s.seq, s.name, s.kind, s.gate ?? '', s.rows ?? '', s.status]),
      ),
      '',
    );
    const writes = report.steps.flatMap((s) =>
      s.operations
        .filter((o) => o.kind !== 'verify')
        .map((o) => [s.name, o.kind, o.table, o.deleted, o.inserted, o.updated, o.gate ?? '']),
    );
    if (writes.length)
      out.push(
        table(['transaction', 'write', 'table', 'deleted', 'inserted', 'updated', 'gate'], writes),
        '',
      );
    const manual = report.steps.filter((s) => s.kind === 'manual');
    for (const m of manual) out.push(`- Manual step **${m.name}**: ${m.note ?? ''}`);
    if (manual.length) out.push('');
  } else {
    out.push(
      `_No run given: \`rowback render ${restore.id} --run <id>\` shows the steps with their counts._`,
      '',
    );
  }
  out.push('## Decisions', '');
  out.push(
    ...(runbook.decisions?.length
      ? runbook.decisions.map((d) => `- ${d}`)
      : ['_No decisions written in the module._']),
    '',
  );
  out.push('## Retention', '');
  out.push(
    `Workspace artifacts (backup tables, scopes, snapshots, before-images) expire ${restore.retention.days} day(s) after the run that made them; \`rowback gc\` drops expired ones. Undo needs the before-images, so it is possible until then. The ledger (control schema) is kept.`,
    '',
  );
  out.push('## References', '');
  out.push(...(runbook.references?.length ? runbook.references.map((r) => `- ${r}`) : ['_None._']), '');
  return `${out.join('\n').trimEnd()}\n`;
}
