import type { RunReport } from '../runner/report.ts';
import { type Html, html } from './html.ts';
import { plainValue } from './plain-value.ts';

/** Who ran what against which server: the facts a second person checks before trusting the rest. */
export function headerSection(report: RunReport): Html {
  const t = report.target;
  return html`<header>
<h1>${report.mode} ${report.moduleId} <span class="status status-${report.status}" data-field="status">${report.status}</span></h1>
<p>${report.title}</p>
<dl class="facts" id="target">
<dt>run</dt><dd data-field="runId">${report.runId ?? '-'}</dd>
<dt>target host</dt><dd data-field="host">${t.host}</dd>
<dt>server uuid</dt><dd class="mono" data-field="serverUuid">${t.serverUuid}</dd>
<dt>schema</dt><dd data-field="schema">${t.schema}</dd>
<dt>user</dt><dd data-field="user">${t.user}</dd>
<dt>server</dt><dd>${t.flavour} ${t.version}</dd>
<dt>module checksum</dt><dd class="mono" data-field="checksum">${report.checksum}</dd>
<dt>operator</dt><dd data-field="operator">${report.operator ?? 'not recorded'}</dd>
<dt>workspace</dt><dd>${report.workspace}</dd>
<dt>started (UTC)</dt><dd>${report.startedAt}</dd>
<dt>finished (UTC)</dt><dd>${report.finishedAt ?? 'not finished'}</dd>
${report.resumedFrom ? html`<dt>resumed from</dt><dd>run ${report.resumedFrom}</dd>` : null}
${report.planRunId ? html`<dt>plan run</dt><dd>run ${report.planRunId}</dd>` : null}
${report.undoOf ? html`<dt>undo of</dt><dd>run ${report.undoOf}</dd>` : null}
${report.forced ? html`<dt>forced</dt><dd>yes (recorded)</dd>` : null}
${Object.entries(report.params).map(([name, value]) => html`<dt>param ${name}</dt><dd class="mono">${plainValue(value)}</dd>`)}
</dl>
${provenance(report)}
</header>`;
}

function provenance(report: RunReport): Html | null {
  const extracts = Object.entries(report.backups);
  if (!extracts.length) return null;
  return html`<section id="provenance"><h2>Backup provenance</h2>
${extracts.map(
  ([step, facts]) => html`<h3>${step}</h3><dl class="facts" data-backup="${step}">
${Object.entries(isRecord(facts) ? facts : { value: facts }).map(
  ([name, value]) => html`<dt>${name}</dt><dd class="mono">${plainValue(value)}</dd>`,
)}</dl>`,
)}</section>`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
