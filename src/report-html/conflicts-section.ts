import type { RunReport } from '../runner/report.ts';
import { type Html, html } from './html.ts';
import { plainValue } from './plain-value.ts';

const CONFLICT_ERRORS: ReadonlySet<string> = new Set([
  'KeyConflictError',
  'UndoConflictError',
  'DriftSincePlanError',
  'SchemaDriftError',
]);

/**
 * What stands in the way of a clean restore: columns a blanket replace would overwrite outside the
 * allow-list (changes made since the backup), and an error that is itself a conflict.
 */
export function conflictsSection(report: RunReport): Html | null {
  const columns = report.driftProfiles.flatMap((p) =>
    p.columns.filter((c) => c.outsideAllowList).map((c) => ({ profile: p, column: c })),
  );
  const error = report.error && CONFLICT_ERRORS.has(report.error.name) ? report.error : null;
  if (!columns.length && !error) return null;
  return html`<section id="conflicts"><h2>Conflicts</h2>
${
  columns.length
    ? html`<ul>${columns.map(
        ({ profile, column }) =>
          html`<li data-conflict="${profile.table}.${column.column}"><code>${profile.table}.${column.column}</code>: ${column.differing} scoped row(s) changed since the backup; a blanket replace overwrites them, the allow-list keeps them.</li>`,
      )}</ul>`
    : null
}
${
  error
    ? html`<div class="error"><strong>${error.name}</strong>: ${error.message}
<dl class="facts">${Object.entries(error.facts).map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${plainValue(v)}</dd>`)}</dl></div>`
    : null
}
</section>`;
}
