import { type Html, html } from './html.ts';
import { REPORT_STYLES } from './report-styles.ts';

/**
 * The page around a report: inline styles, and a Content-Security-Policy that forbids every load, so
 * even a value that slipped through escaping could fetch nothing and run nothing.
 */
export function htmlPage(title: string, mode: string, body: Html): string {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${title}</title>
<style>${REPORT_STYLES}</style></head>
<body data-mode="${mode}">
${body}
<footer class="muted"><p>rowback report.</p></footer>
</body></html>
`.toString();
}
