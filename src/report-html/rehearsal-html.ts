import type { RehearsalReport } from '../runner/rehearsal-report.ts';
import { type Html, html } from './html.ts';
import { htmlPage } from './html-page.ts';
import { runSections } from './render-report-html.ts';
import { seconds } from './steps-section.ts';

/**
 * A rehearsal as one self-contained page: the live target and the server it was rehearsed on (and
 * how they differ), the rows copied, checksums as copied / after apply / after undo, transaction
 * sizes against the target's limits, then the rehearsed apply — the forecast of the live run.
 */
export function renderRehearsalHtml(report: RehearsalReport): string {
  const apply = report.apply;
  return htmlPage(
    `rowback rehearse ${report.moduleId}: ${report.status}`,
    'rehearse',
    html`${rehearsalHeader(report)}
${report.error ? html`<section id="error"><h2>Error</h2><div class="error"><strong>${report.error.name}</strong>: ${report.error.message}</div></section>` : null}
${copiedSection(report)}
${checksumSection(report)}
${transactionSection(report)}
${apply ? html`<h2 id="forecast">The rehearsed apply: a forecast of the live run</h2><p class="muted">Apply run ${apply.runId} on the rehearsal server took ${seconds(apply.steps.reduce((s, x) => s + x.durationMs, 0))} in its steps.</p>${runSections(apply, report.rehearsalPlan)}` : null}`,
  );
}

function rehearsalHeader(report: RehearsalReport): Html {
  const t = report.target;
  const verdict = (v: boolean | null) => (v === null ? 'not reached' : v ? 'exact' : 'NOT exact');
  return html`<header>
<h1>rehearse ${report.moduleId} <span class="status status-${report.status}" data-field="status">${report.status}</span></h1>
<p>${report.title}</p>
<dl class="facts" id="target">
<dt>live target (read only)</dt><dd>${t.host} / ${t.schema} (${t.flavour} ${t.version})</dd>
<dt>server uuid</dt><dd class="mono" data-field="serverUuid">${t.serverUuid}</dd>
<dt>user</dt><dd>${t.user}</dd>
<dt>scopes from plan run</dt><dd data-field="planRunId">${report.planRunId ?? '-'}</dd>
<dt>rehearsal server</dt><dd data-field="server">${report.server.flavour} ${report.server.version} (${report.server.provider}), schema ${report.server.schema}</dd>
<dt>apply</dt><dd data-field="applyExact">${verdict(report.applyExact)}</dd>
<dt>undo</dt><dd data-field="undoExact">${verdict(report.undoExact)}</dd>
<dt>started (UTC)</dt><dd>${report.startedAt}</dd>
<dt>finished (UTC)</dt><dd>${report.finishedAt}</dd>
</dl>
${
  report.differences.length
    ? html`<h2>Rehearsal server vs target</h2><div class="scroll"><table id="differences"><thead><tr><th>setting</th><th>target</th><th>rehearsal</th><th></th></tr></thead><tbody>
${report.differences.map((d) => html`<tr data-setting="${d.setting}"><td>${d.setting}</td><td class="mono">${d.target}</td><td class="mono">${d.rehearsal}</td><td>${d.mimicked ? 'set to the target’s value' : html`<strong class="gate-failed">differs</strong>`}</td></tr>`)}
</tbody></table></div>`
    : html`<p id="differences">The rehearsal server matches the target in flavour, major version, sql_mode and server collation.</p>`
}
${report.notices.length ? html`<h2>Notices</h2><ul class="warnings" id="notices">${report.notices.map((n) => html`<li>${n}</li>`)}</ul>` : null}
</header>`;
}

function copiedSection(report: RehearsalReport): Html | null {
  if (!report.tables.length) return null;
  return html`<section id="copied"><h2>Rows copied from live</h2>
<div class="scroll"><table><thead><tr><th>table</th><th class="num">rows</th><th class="num">triggers</th><th class="num">foreign keys</th><th>why</th></tr></thead><tbody>
${report.tables.map((t) => html`<tr data-table="${t.table}" data-rows="${t.rows}"><td><code>${t.table}</code></td><td class="num">${t.rows}</td><td class="num">${t.triggers}</td><td class="num">${t.foreignKeys}</td><td>${t.reasons.join('; ') || html`<span class="muted">not touched: created empty</span>`}</td></tr>`)}
</tbody></table></div></section>`;
}

function checksumSection(report: RehearsalReport): Html | null {
  if (!report.checksums.length) return null;
  return html`<section id="checksums"><h2>Checksums</h2>
<div class="scroll"><table><thead><tr><th>table</th><th class="num">as copied</th><th class="num">after apply</th><th class="num">after undo</th><th>undo</th></tr></thead><tbody>
${report.checksums.map(
  (
    c,
  ) => html`<tr data-table="${c.table}"><td><code>${c.table}</code></td><td class="num mono">${c.copied ?? '-'}</td><td class="num mono">${c.afterApply ?? '-'}</td><td class="num mono">${c.afterUndo ?? '-'}</td>
<td class="${c.afterUndo === c.copied ? 'gate-ok' : 'gate-failed'}">${c.afterUndo === null ? 'not reached' : c.afterUndo === c.copied ? 'exact' : 'differs'}</td></tr>`,
)}
</tbody></table></div></section>`;
}

function transactionSection(report: RehearsalReport): Html | null {
  if (!report.transactions.length) return null;
  return html`<section id="limits"><h2>Transaction sizes against the target's limits</h2>
<p class="muted">Limits ${report.limitsSource}.</p>
<div class="scroll"><table><thead><tr><th>transaction</th><th class="num">est. bytes</th><th class="num">rows</th><th>limits</th></tr></thead><tbody>
${report.transactions.map(
  (
    t,
  ) => html`<tr data-transaction="${t.name}" data-bytes="${t.estimatedBytes}" data-rows="${t.rows}"><td>${t.name}</td><td class="num">${t.estimatedBytes}</td><td class="num">${t.rows}</td>
<td>${t.limits.length ? t.limits.map((l) => html`<div class="${l.within ? 'gate-ok' : 'gate-failed'}">${l.variable} = ${l.value} ${l.unit}: ${l.within ? 'within' : 'OVER'}</div>`) : 'no limit set on the target'}</td></tr>`,
)}
</tbody></table></div></section>`;
}
