import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunReport, runReportSchema } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIncident, type Incident } from '../../src/demo/index.ts';
import { chromiumInstalled, type OpenedPage, openInChromium } from '../support/chromium.ts';
import { REPO_ROOT, runCli } from '../support/run-cli.ts';

const MODULE = '20261126-wpca-uid-collision';
/** Kept after the run (gitignored): the screenshots are the test's artefacts. */
const ARTEFACTS = join(REPO_ROOT, '.rowback-tmp', 'report-html');
const HOSTILE = `<script>window.pwned=1</script><img src="http://example.invalid/x.png" onerror="window.pwned=2">`;

if (!chromiumInstalled) {
  console.warn('report-html-browser: SKIPPED, no Chromium at /usr/bin/chromium (apt-get install chromium)');
}

describe.skipIf(!chromiumInstalled)('the HTML report of a real WPCA run, in headless Chromium', () => {
  let box: Sandbox;
  let work: string;
  let incident: Incident;
  let cliArgs: string[];
  let hostileUser: number;

  beforeAll(async () => {
    await mkdir(ARTEFACTS, { recursive: true });
    box = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'rhtml' });
    work = join(REPO_ROOT, '.rowback-tmp', `report-html-${randomBytes(4).toString('hex')}`);
    incident = await buildIncident(box.target, { users: 120, seed: 20261204, workDir: work });
    // A collided user's live display name is markup: the report must show it as text.
    hostileUser = Math.min(...incident.collidedUserIds);
    await box.load({ sql: `UPDATE wp_users SET display_name = '${HOSTILE}' WHERE ID = ${hostileUser}` });
    cliArgs = [
      '--db',
      box.url,
      '--control-schema',
      box.controlSchema,
      '--workspace',
      box.workspaceSchema,
      '--param',
      `backup=${incident.backupFile}`,
      '--param',
      `importBatch=${incident.importBatch}`,
    ];
  });

  afterAll(async () => {
    await box?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function run(args: readonly string[], expectedCode = 0): Promise<RunReport> {
    const result = await runCli(args);
    expect(result.code, result.stderr).toBe(expectedCode);
    return runReportSchema.parse(JSON.parse(result.stdout)) as RunReport;
  }

  async function open(file: string, shot: string, viewport?: { width: number; height: number }) {
    const opened = await openInChromium(file, viewport);
    await opened.page.screenshot({ path: join(ARTEFACTS, shot), fullPage: true });
    return opened;
  }

  /** What every report page must show the same as its JSON: header facts and each step's rows. */
  async function expectMatches(opened: OpenedPage, report: RunReport): Promise<void> {
    const { page } = opened;
    expect(await page.locator('[data-field="status"]').textContent()).toBe(report.status);
    expect(await page.locator('[data-field="runId"]').textContent()).toBe(report.runId);
    expect(await page.locator('[data-field="checksum"]').textContent()).toBe(report.checksum);
    expect(await page.locator('[data-field="serverUuid"]').textContent()).toBe(report.target.serverUuid);
    expect(await page.locator('[data-field="schema"]').textContent()).toBe(report.target.schema);
    expect(await page.locator('[data-field="operator"]').textContent()).toBe(report.operator);
    const steps = await page
      .locator('#timeline tbody tr')
      .evaluateAll((rows) => rows.map((r) => [r.children[1]?.textContent, r.children[7]?.textContent]));
    expect(steps).toEqual(report.steps.map((s) => [s.name, s.rows === null ? '' : String(s.rows)]));
    // Nothing ran, nothing was fetched, nothing complained.
    expect(await page.evaluate('window.pwned')).toBeUndefined();
    expect(await page.locator('script, img, iframe, link').count()).toBe(0);
    expect(opened.requests).toEqual([]);
    expect(opened.errors).toEqual([]);
  }

  it('plan --html: gates, drift bars and the word diffs of the samples match the JSON report; the hostile name stays text', async () => {
    const file = join(ARTEFACTS, 'plan.html');
    const report = await run(['plan', MODULE, ...cliArgs, '--json', '--html', file, '-q']);
    expect(report.status).toBe('done');
    const opened = await open(file, 'plan.png');
    try {
      await expectMatches(opened, report);
      const { page } = opened;
      const gates = report.steps.flatMap((s) => [
        ...(s.gate ? [[s.name, s.gate, String(s.rows)]] : []),
        ...s.operations
          .filter((o) => o.gate)
          .map((o) => [`${s.name} › ${o.name ?? `${o.kind} ${o.table}`}`, o.gate, String(o.rows)]),
      ]);
      expect(gates.length).toBeGreaterThan(5);
      const shown = await page
        .locator('#gates tbody tr')
        .evaluateAll((rows) => rows.map((r) => [0, 1, 2].map((i) => r.children[i]?.textContent)));
      expect(shown).toEqual(gates);
      expect(await page.locator('#gates .gate-failed').count()).toBe(0);

      const users = report.driftProfiles.find((p) => p.table === 'wp_users')!;
      const profile = page.locator('[data-profile="wp_users"]');
      expect(await profile.getAttribute('data-differing')).toBe(String(users.differingRows));
      const columns = await profile
        .locator('tbody tr[data-column]')
        .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-column'), r.children[1]?.textContent]));
      expect(columns).toEqual(users.columns.map((c) => [c.column, String(c.differing)]));
      // The bars are drawn: the widest column's bar is as wide as its share of the scoped rows.
      const widest = users.columns.reduce((a, b) => (b.differing > a.differing ? b : a));
      const bar = await profile
        .locator(`tr[data-column="${widest.column}"] .fill`)
        .evaluate(
          (el) => el.getBoundingClientRect().width / (el.parentElement?.getBoundingClientRect().width ?? 1),
        );
      expect(bar).toBeCloseTo(widest.differing / users.scopedRows, 1);
      // The conflict the allow-list avoids: user_pass, outside it.
      expect(await page.locator('[data-conflict="wp_users.user_pass"]').count()).toBe(1);

      // The hostile display name: shown as text in the sample's before column, word diff highlighted.
      const sample = page.locator(`[data-sample="ID=${hostileUser}"] tr[data-field="display_name"]`);
      expect(await sample.locator('td').nth(1).textContent()).toBe(HOSTILE);
      expect(await sample.locator('del').count()).toBeGreaterThan(0);
      expect(await sample.locator('ins').count()).toBeGreaterThan(0);
      expect(await page.locator('#drift ins').count()).toBeGreaterThan(
        await page.locator('[data-sample]').count(),
      );

      // A narrow window: the page does not scroll sideways (wide tables scroll inside their box).
      await page.setViewportSize({ width: 360, height: 800 });
      expect(await page.locator('html').evaluate((el) => el.scrollWidth)).toBeLessThanOrEqual(360);
      await page.screenshot({ path: join(ARTEFACTS, 'plan-narrow.png'), fullPage: true });
      // Printable: under print media the tables are laid out whole (no inner scrolling), and a PDF renders.
      await page.emulateMedia({ media: 'print' });
      expect(
        await page
          .locator('.scroll')
          .first()
          .evaluate((el) => el.ownerDocument.defaultView?.getComputedStyle(el).overflowX),
      ).toBe('visible');
      const pdf = await page.pdf({ path: join(ARTEFACTS, 'plan.pdf'), format: 'A4' });
      expect(pdf.subarray(0, 4).toString()).toBe('%PDF');
      expect(opened.errors).toEqual([]);
    } finally {
      await opened.close();
    }
  });

  it('apply --html, report <run> --html from the ledger, undo --html: the writes and what undo puts back match', async () => {
    const applyFile = join(ARTEFACTS, 'apply.html');
    // Non-interactive: the run stops at the manual re-import step, and --resume is the confirmation.
    const awaiting = await run(
      ['apply', MODULE, ...cliArgs, '--yes', '--json', '--html', applyFile, '-q'],
      5,
    );
    expect(awaiting.status).toBe('awaiting');
    const applied = await run(['apply', MODULE, ...cliArgs, '--yes', '--resume', '--json', '-q']);
    expect(applied.status).toBe('done');

    const reportFile = join(ARTEFACTS, 'report.html');
    const stored = await runCli([
      'report',
      awaiting.runId!,
      '--db',
      box.url,
      '--control-schema',
      box.controlSchema,
      '--html',
      reportFile,
    ]);
    expect(stored.code, stored.stderr).toBe(0);
    for (const [file, report] of [
      [applyFile, awaiting],
      [reportFile, awaiting],
    ] as const) {
      const opened = await open(file, file === applyFile ? 'apply.png' : 'report.png');
      try {
        await expectMatches(opened, report);
        const writes = report.steps.flatMap((s) =>
          s.operations
            .filter((o) => o.kind !== 'verify')
            .map((o) => [
              `${s.name}/${o.kind}/${o.table}`,
              String(o.deleted),
              String(o.inserted),
              String(o.updated),
            ]),
        );
        expect(writes.length).toBe(4);
        const shown = await opened.page
          .locator('#writes tr[data-write]')
          .evaluateAll((rows) =>
            rows.map((r) => [
              r.getAttribute('data-write'),
              ...[3, 4, 5].map((i) => r.children[i]?.textContent),
            ]),
          );
        expect(shown).toEqual(writes);
        const purge = report.steps.find((s) => s.name === 'purge-batch')!.operations[0]!;
        expect(await opened.page.locator('#writes').textContent()).toContain(
          `re-inserts ${purge.deleted} deleted row(s)`,
        );
      } finally {
        await opened.close();
      }
    }

    const undoFile = join(ARTEFACTS, 'undo.html');
    const undone = await run([
      'undo',
      applied.runId!,
      '--db',
      box.url,
      '--control-schema',
      box.controlSchema,
      '--yes',
      '--json',
      '--html',
      undoFile,
    ]);
    expect(undone.status).toBe('done');
    const opened = await open(undoFile, 'undo.png');
    try {
      await expectMatches(opened, undone);
    } finally {
      await opened.close();
    }
  });

  it('report of a run id the ledger does not hold: a clear error, exit 2, no file', async () => {
    const file = join(ARTEFACTS, 'unknown.html');
    await rm(file, { force: true });
    const result = await runCli([
      'report',
      '987654',
      '--db',
      box.url,
      '--control-schema',
      box.controlSchema,
      '--html',
      file,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `expected run 987654 in the ledger ${box.controlSchema}, found no such run`,
    );
    const none = await runCli([
      'report',
      '1',
      '--db',
      box.url,
      '--control-schema',
      `${box.controlSchema}_none`,
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('found no ledger there');
  });
});
