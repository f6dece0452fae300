import { type RunReport, renderReportHtml, runReportSchema } from 'rowback';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/report-html/index.ts';

const EVIL = `<script>alert(1)</script><img src=x onerror="alert(2)">'"&`;

/** A report whose every string a database or a module author controls is hostile. */
function hostileReport(): RunReport {
  const error = { name: 'KeyConflictError', message: EVIL, hint: EVIL, facts: { [EVIL]: EVIL } };
  return runReportSchema.parse({
    reportVersion: 1,
    runId: EVIL,
    moduleId: EVIL,
    title: EVIL,
    mode: 'plan',
    status: 'failed',
    checksum: EVIL,
    operator: EVIL,
    resumedFrom: EVIL,
    planRunId: EVIL,
    undoOf: EVIL,
    forced: true,
    target: {
      description: EVIL,
      host: EVIL,
      serverUuid: EVIL,
      schema: EVIL,
      user: EVIL,
      flavour: 'mariadb',
      version: EVIL,
    },
    workspace: EVIL,
    params: { [EVIL]: EVIL },
    startedAt: EVIL,
    finishedAt: EVIL,
    steps: [
      {
        seq: 1,
        name: EVIL,
        kind: 'transaction',
        status: 'failed',
        rows: 3,
        gate: EVIL,
        durationMs: 1500,
        sqlDigest: EVIL,
        note: EVIL,
        operations: [
          {
            kind: 'upsertColumns',
            table: EVIL,
            name: EVIL,
            deleted: 1,
            inserted: 2,
            updated: 3,
            rows: 3,
            gate: EVIL,
            estimatedBytes: 10,
            scopeHash: EVIL,
            warnings: [EVIL],
          },
        ],
        error,
      },
    ],
    transactions: [
      { name: EVIL, estimatedBytes: 10, limitBytes: null, atomic: true, chunks: null, chunksCommitted: null },
    ],
    driftProfiles: [
      {
        step: EVIL,
        table: EVIL,
        scopedRows: 4,
        differingRows: 2,
        allowList: [EVIL],
        columns: [{ column: EVIL, differing: 2, outsideAllowList: true }],
        samples: [
          {
            key: { [EVIL]: EVIL },
            status: 'changed',
            fields: [{ column: EVIL, live: EVIL, backup: `${EVIL} new`, textDiff: EVIL }],
          },
          { key: { id: EVIL }, status: 'only-live', fields: [] },
        ],
      },
    ],
    warnings: [EVIL],
    backups: { [EVIL]: { file: EVIL, nested: { [EVIL]: EVIL } } },
    error,
  });
}

/** The tags the renderer itself writes; any other `<` in the page would be injected markup. */
const OWN_TAGS = new Set(
  'html head meta title style body header h1 h2 h3 p span dl dt dd section div table thead tbody tr th td strong code ul li ins del footer'.split(
    ' ',
  ),
);

describe('the HTML report', () => {
  it('keeps a hostile value text: no tag, attribute or entity from the data reaches the markup', () => {
    const page = renderReportHtml(hostileReport());
    const tags = [...page.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
    expect(tags.filter((t) => !OWN_TAGS.has(t))).toEqual([]);
    expect(page).not.toContain('onerror="');
    expect(page).toContain(escapeHtml(EVIL));
    // Attribute values stay quoted: a quote in the data cannot end one.
    expect(page).toContain(`data-step="${escapeHtml(EVIL)}"`);
  });

  it('needs nothing from outside: no script, no link, no external URL, and a CSP that forbids loads', () => {
    const page = renderReportHtml(hostileReport());
    // Attribute values emptied first: escaped data inside them is text, not attributes.
    const tags = (page.match(/<[^>]*>/g) ?? []).map((t) => t.replace(/"[^"]*"/g, '""'));
    expect(
      tags.filter((t) => /^<(script|link|img|iframe|object)|\s(src|href|srcset|action)=/i.test(t)),
    ).toEqual([]);
    const styles = page.slice(page.indexOf('<style>'), page.indexOf('</style>'));
    expect(styles).not.toMatch(/@import|url\(/i);
    expect(page).toContain(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`);
  });

  it('highlights a field-level word diff with the diff package', () => {
    const report = hostileReport();
    const page = renderReportHtml(report);
    expect(page).toContain('<ins> new</ins>');
  });

  it('marks the gate that failed, also a write whose gate failed before it was recorded', () => {
    const base = hostileReport();
    const step = base.steps[0]!;
    const failing = (facts: Record<string, unknown>): RunReport => ({
      ...base,
      steps: [
        {
          ...step,
          name: 'purge-batch',
          gate: null,
          error: { name: 'GateError', message: 'x', hint: null, facts },
        },
      ],
    });
    const write = renderReportHtml(failing({ step: 'purge wp_ep_results', expected: '= 18', found: 17 }));
    expect(write).toMatch(
      /<tr data-gate="purge-batch › purge wp_ep_results" data-expected="= 18" data-found="17">[\s\S]*?gate-failed/,
    );
    const check = renderReportHtml(failing({ step: `purge-batch: ${EVIL}`, expected: 'x', found: 1 }));
    expect(check.match(/<td class="gate-failed">/g)?.length).toBe(1);
    expect(check).not.toContain('data-gate="purge-batch › purge-batch:');
  });

  it('escapes in the html template and passes markup through', () => {
    expect(html`<b title="${'"x"'}">${'<i>'}${html`<i>ok</i>`}${[1, null, 'a&b']}</b>`.toString()).toBe(
      '<b title="&quot;x&quot;">&lt;i&gt;<i>ok</i>1a&amp;b</b>',
    );
  });
});
