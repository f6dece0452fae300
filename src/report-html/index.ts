export { escapeHtml, Html, type HtmlValue, html } from './html.ts';
export { renderRehearsalHtml } from './rehearsal-html.ts';
export { renderReportHtml } from './render-report-html.ts';
