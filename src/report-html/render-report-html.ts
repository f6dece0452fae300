import type { RunReport } from '../runner/report.ts';
import { conflictsSection } from './conflicts-section.ts';
import { driftSection } from './drift-section.ts';
import { headerSection } from './header-section.ts';
import { type Html, html } from './html.ts';
import { htmlPage } from './html-page.ts';
import { gatesSection, timelineSection } from './steps-section.ts';
import { writesSection } from './writes-section.ts';

/**
 * A run report as one self-contained HTML page: no script, no external resource, readable in a narrow
 * window and printable. Every value from the report is escaped.
 *
 * @example await writeFile('plan.html', renderReportHtml(await plan(target, restore, params)));
 */
export function renderReportHtml(report: RunReport): string {
  return htmlPage(
    `rowback ${report.mode} ${report.moduleId}: ${report.status}`,
    report.mode,
    html`${headerSection(report)}${errorSection(report)}${runSections(report, report)}
<p class="muted">Run report format version ${report.reportVersion}.</p>`,
  );
}

/** The body of a run: steps, gates, drift (from `profiled`, a plan), conflicts, writes, warnings. */
export function runSections(run: RunReport, profiled: RunReport | null): Html {
  return html`${timelineSection(run)}
${gatesSection(run)}
${profiled ? driftSection(profiled) : null}
${profiled ? conflictsSection(profiled) : null}
${writesSection(run)}
${run.warnings.length ? html`<section id="warnings"><h2>Warnings</h2><ul class="warnings">${run.warnings.map((w) => html`<li>${w}</li>`)}</ul></section>` : null}`;
}

function errorSection(report: RunReport): Html | null {
  return report.error
    ? html`<section id="error"><h2>Error</h2><div class="error"><strong>${report.error.name}</strong>: ${report.error.message}</div></section>`
    : null;
}
