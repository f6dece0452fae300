import type { RunReport, StepReport } from '../runner/report.ts';
import { type Html, html } from './html.ts';

/**
 * The steps in the order they ran: when each started (offset from the run's start; steps run one
 * after another), how long it took, as a bar against the whole run, and the rows it counted.
 */
export function timelineSection(report: RunReport): Html {
  const total = Math.max(
    1,
    report.steps.reduce((sum, s) => sum + s.durationMs, 0),
  );
  let offset = 0;
  const rows = report.steps.map((step) => {
    const start = offset;
    offset += step.durationMs;
    const left = (100 * start) / total;
    const width = Math.max(0.5, (100 * step.durationMs) / total);
    return html`<tr data-step="${step.name}" data-rows="${step.rows ?? ''}" data-ms="${step.durationMs}">
<td class="num">${step.seq}</td><td>${step.name}</td><td>${step.kind}</td>
<td><span class="status status-${step.status}">${step.status}</span></td>
<td class="num">+${seconds(start)}</td><td class="num">${seconds(step.durationMs)}</td>
<td><div class="track" aria-hidden="true"><div class="fill" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%"></div></div></td>
<td class="num">${step.rows ?? ''}</td>
<td>${step.error ? html`<strong>${step.error.name}</strong>: ${step.error.message}` : (step.note ?? '')}</td></tr>`;
  });
  return html`<section id="timeline"><h2>Steps</h2>
<p class="muted">${report.steps.length} steps, ${seconds(total)} in all.</p>
<div class="scroll"><table><thead><tr><th class="num">#</th><th>step</th><th>kind</th><th>status</th>
<th class="num">start</th><th class="num">time</th><th>share of the run</th><th class="num">rows</th><th>note</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>`;
}

/** Every gate of the run, the step's own and its writes' and checks', with what it expected and found. */
export function gatesSection(report: RunReport): Html | null {
  const gates = report.steps.flatMap(stepGates);
  if (!gates.length) return null;
  return html`<section id="gates"><h2>Gates</h2>
<div class="scroll"><table><thead><tr><th>gate</th><th class="num">expected</th><th class="num">found</th><th>result</th></tr></thead>
<tbody>${gates}</tbody></table></div></section>`;
}

function stepGates(step: StepReport): Html[] {
  // A GateError names the gate that failed in its facts: the step itself, a check inside it
  // ("<step>: <check>"), or a write's label (a write that failed its gate is not among the operations).
  const failed = step.error?.name === 'GateError' ? step.error.facts : null;
  const failedName = typeof failed?.step === 'string' ? failed.step : null;
  let matched = false;
  const row = (name: string, names: readonly string[], gate: string, found: number | null) => {
    const isFailed = failedName !== null && names.includes(failedName);
    matched ||= isFailed;
    return gateRow(step, name, gate, found, isFailed);
  };
  const rows = [
    ...(step.gate ? [row(step.name, [step.name], step.gate, step.rows)] : []),
    ...step.operations.flatMap((op) =>
      op.gate
        ? [
            row(
              `${step.name} › ${op.name ?? `${op.kind} ${op.table}`}`,
              op.name ? [op.name, `${step.name}: ${op.name}`] : [],
              op.gate,
              op.rows,
            ),
          ]
        : [],
    ),
  ];
  if (failedName !== null && !matched) {
    const found = typeof failed?.found === 'number' ? failed.found : null;
    rows.push(gateRow(step, `${step.name} › ${failedName}`, String(failed?.expected ?? '?'), found, true));
  }
  return rows;
}

function gateRow(step: StepReport, name: string, gate: string, found: number | null, failed: boolean): Html {
  const result = failed ? 'failed' : step.status === 'done' ? 'held' : step.status;
  return html`<tr data-gate="${name}" data-expected="${gate}" data-found="${found ?? ''}">
<td>${name}</td><td class="num">${gate}</td><td class="num">${found ?? '-'}</td>
<td class="${failed ? 'gate-failed' : result === 'held' ? 'gate-ok' : ''}">${result}</td></tr>`;
}

export function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
