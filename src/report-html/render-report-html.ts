import type { RunReport } from '../runner/report.ts';
import { conflictsSection } from './conflicts-section.ts';
import { driftSection } from './drift-section.ts';
import { headerSection } from './header-section.ts';
import { type Html, html } from './html.ts';
import { REPORT_STYLES } from './report-styles.ts';
import { gatesSection, timelineSection } from './steps-section.ts';
import { writesSection } from './writes-section.ts';

/**
 * A run report as one self-contained HTML page: no script, no external resource, readable in a narrow
 * window and printable. Every value from the report is escaped.
 *
 * @example await writeFile('plan.html', renderReportHtml(await plan(target, restore, params)));
 */
export function renderReportHtml(report: RunReport, extra: readonly Html[] = []): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>rowback ${report.mode} ${report.moduleId}: ${report.status}</title>
<style>${REPORT_STYLES}</style></head>
<body data-mode="${report.mode}" data-run="${report.runId ?? ''}">
${headerSection(report)}
${extra}
${report.error ? html`<section id="error"><h2>Error</h2><div class="error"><strong>${report.error.name}</strong>: ${report.error.message}</div></section>` : null}
${timelineSection(report)}
${gatesSection(report)}
${driftSection(report)}
${conflictsSection(report)}
${writesSection(report)}
${report.warnings.length ? html`<section id="warnings"><h2>Warnings</h2><ul class="warnings">${report.warnings.map((w) => html`<li>${w}</li>`)}</ul></section>` : null}
<footer class="muted"><p>rowback run report, format version ${report.reportVersion}.</p></footer>
</body></html>
`.toString();
}
