import { diffWordsWithSpace } from 'diff';
import type { DriftProfileReport, RunReport } from '../runner/report.ts';
import { type Html, html } from './html.ts';
import { plainValue } from './plain-value.ts';

type Sample = DriftProfileReport['samples'][number];

/**
 * Per table in scope: how many scoped rows differ from the backup in each column (bars against the
 * scoped rows), which of those columns a blanket replace would overwrite outside the allow-list, and
 * the sampled rows before (live now) and after (what the write leaves), with a word diff of each field.
 */
export function driftSection(report: RunReport): Html | null {
  if (!report.driftProfiles.length) return null;
  return html`<section id="drift"><h2>Column drift</h2>
${report.driftProfiles.map((profile) => profileBlock(report, profile))}</section>`;
}

function profileBlock(report: RunReport, profile: DriftProfileReport): Html {
  const setsOnly = columnsTheWriteSets(report, profile);
  const scoped = Math.max(1, profile.scopedRows);
  return html`<div class="profile" data-profile="${profile.table}" data-differing="${profile.differingRows}" data-scoped="${profile.scopedRows}">
<h3>${profile.table} <span class="muted">(${profile.step})</span></h3>
<p><strong>${profile.differingRows}</strong> of ${profile.scopedRows} scoped rows differ from the backup.
${profile.allowList ? html`Allow-list: <code>${profile.allowList.join(', ')}</code>.` : null}</p>
<div class="scroll"><table><thead><tr><th>column</th><th class="num">rows differing</th><th>share of the scoped rows</th><th>outside the allow-list</th></tr></thead><tbody>
${profile.columns.map(
  (c) => html`<tr data-column="${c.column}" data-differing="${c.differing}">
<td><code>${c.column}</code></td><td class="num">${c.differing}</td>
<td><div class="track" aria-hidden="true"><div class="fill${c.outsideAllowList ? ' outside' : ''}" style="width:${((100 * c.differing) / scoped).toFixed(2)}%"></div></div></td>
<td>${c.outsideAllowList ? html`<strong class="gate-failed">yes: a blanket replace overwrites it</strong>` : ''}</td></tr>`,
)}</tbody></table></div>
${profile.samples.length ? html`<h3>Sampled rows</h3>${profile.samples.map((s) => sampleBlock(s, setsOnly))}` : null}
</div>`;
}

/** An allow-list write sets only its columns; the other writes set every column. */
function columnsTheWriteSets(report: RunReport, profile: DriftProfileReport): ReadonlySet<string> | null {
  const step = report.steps.find((s) => s.name === profile.step);
  const upsert = step?.operations.some((op) => op.kind === 'upsertColumns' && op.table === profile.table);
  return upsert && profile.allowList ? new Set(profile.allowList) : null;
}

function sampleBlock(sample: Sample, setsOnly: ReadonlySet<string> | null): Html {
  const key = Object.entries(sample.key)
    .map(([k, v]) => `${k}=${plainValue(v)}`)
    .join(', ');
  if (sample.status !== 'changed') {
    const what =
      sample.status === 'only-live'
        ? 'only in live: the write removes it'
        : 'only in the backup: the write adds it';
    return html`<div class="sample" data-sample="${key}"><strong>${key}</strong> <span class="muted">${what}</span></div>`;
  }
  return html`<div class="sample" data-sample="${key}"><strong>${key}</strong>
<div class="scroll"><table><thead><tr><th>column</th><th>before (live)</th><th>after</th><th>word diff</th></tr></thead><tbody>
${sample.fields.map((f) => {
  const kept = setsOnly !== null && !setsOnly.has(f.column);
  return html`<tr data-field="${f.column}"><td><code>${f.column}</code></td>
<td class="mono diff">${plainValue(f.live)}</td>
<td class="mono diff">${kept ? html`<span class="muted">kept: ${plainValue(f.live)}</span>` : plainValue(f.backup)}</td>
<td class="mono diff">${kept ? html`<span class="muted">outside the allow-list, not written</span>` : wordDiff(f.live, f.backup)}</td></tr>`;
})}</tbody></table></div></div>`;
}

/** The `diff` package's word diff of one field, removed words struck, added words highlighted. */
export function wordDiff(before: unknown, after: unknown): Html {
  const parts = diffWordsWithSpace(plainValue(before), plainValue(after));
  return html`${parts.map((p) => (p.added ? html`<ins>${p.value}</ins>` : p.removed ? html`<del>${p.value}</del>` : p.value))}`;
}
