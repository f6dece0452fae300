import { Html } from './html.ts';

/**
 * The report's only style sheet, inlined: the file opens offline, from a mail attachment or a ticket,
 * with no request leaving it. Tables scroll sideways inside their box in a narrow window instead of
 * widening the page; print drops the colours' backgrounds only where ink would be wasted.
 */
export const REPORT_STYLES = new Html(`
:root { color-scheme: light; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --muted: #59636e;
  --line: #d1d9e0; --bar: #0969da; --ins: #dafbe1; --del: #ffebe9; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; font: 15px/1.45 system-ui, sans-serif; color: #1f2328; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.6rem 0 .5rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
p { margin: .3rem 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
.muted { color: var(--muted); }
.status { display: inline-block; padding: 0 .5rem; border-radius: 1rem; font-weight: 600; color: #fff; background: var(--muted); }
.status-done { background: var(--ok); } .status-failed { background: var(--bad); }
.status-awaiting, .status-interrupted { background: var(--warn); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .6rem 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { font-weight: 600; background: #f6f8fa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.gate-ok { color: var(--ok); } .gate-failed { color: var(--bad); font-weight: 600; }
.track { position: relative; height: .8rem; min-width: 6rem; background: #f6f8fa; border: 1px solid var(--line); }
.fill { position: absolute; top: 0; bottom: 0; background: var(--bar); }
.fill.outside { background: var(--warn); }
.warnings li { color: var(--warn); }
.error { border: 1px solid var(--bad); border-left-width: .3rem; padding: .5rem .8rem; background: #fff8f8; }
.sample { border: 1px solid var(--line); border-radius: .3rem; padding: .4rem .6rem; margin: .5rem 0; }
.diff { white-space: pre-wrap; overflow-wrap: anywhere; }
ins { background: var(--ins); text-decoration: none; } del { background: var(--del); }
@media (max-width: 40rem) {
  body { padding: .5rem; font-size: 14px; }
  .facts { grid-template-columns: 1fr; } .facts dt { margin-top: .3rem; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .scroll { overflow: visible; }
  h2 { break-after: avoid; } table, .sample { break-inside: avoid; }
  th { background: none; }
  .track { border-color: #000; } .fill { background: #000 !important; print-color-adjust: exact; }
}
`);
