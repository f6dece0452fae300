import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import {
  connect,
  isErrorNamed,
  parseConnectionUrl,
  type RehearsalReport,
  rehearse,
  runReportSchema,
  sql,
} from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIncident, type Incident } from '../../src/demo/index.ts';
import { loadModule } from '../../src/runner/module-loader.ts';
import { chromiumInstalled, openInChromium } from '../support/chromium.ts';
import { REPO_ROOT, runCli, startCli } from '../support/run-cli.ts';

const MODULE = '20261126-wpca-uid-collision';
const ARTEFACTS = join(REPO_ROOT, '.rowback-tmp', 'report-html');

let box: Sandbox;
let work: string;
let incident: Incident;
let args: string[];
/** `args` without --workspace: plan takes it, rehearse has a workspace of its own. */
let rehearseArgs: string[];

/** Every live table's checksum, and the server's schemas: what "the live target was only read" means. */
async function liveState(): Promise<{ checksums: Record<string, string>; schemas: string[] }> {
  const tables = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${box.schema} ORDER BY 1`.execute(
    box.target.db,
  );
  const checksums: Record<string, string> = {};
  for (const { name } of tables.rows) checksums[name] = await box.checksum(name);
  const schemas = await sql<{
    name: string;
  }>`SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA ORDER BY 1`.execute(box.target.db);
  return { checksums, schemas: schemas.rows.map((r) => r.name) };
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

beforeAll(async () => {
  await mkdir(ARTEFACTS, { recursive: true });
  box = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'rhrs' });
  work = join(REPO_ROOT, '.rowback-tmp', `rehearse-${randomBytes(4).toString('hex')}`);
  incident = await buildIncident(box.target, { users: 120, seed: 20261205, workDir: work });
  // Foreign keys and a trigger the rehearsal must carry over: results → participants → events, and a
  // trigger (with a DEFINER) on wp_users that every write of the restore fires.
  await box.load({
    sql: `ALTER TABLE wp_ep_results ADD CONSTRAINT fk_result_participant FOREIGN KEY (participant_id) REFERENCES wp_ep_participants (id);
          ALTER TABLE wp_ep_participants ADD CONSTRAINT fk_participant_event FOREIGN KEY (event_id) REFERENCES wp_ep_events (id);
          CREATE DEFINER = CURRENT_USER TRIGGER wp_users_keep_status BEFORE UPDATE ON wp_users FOR EACH ROW SET NEW.user_status = OLD.user_status`,
  });
  args = [
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
  rehearseArgs = [...args.slice(0, 4), ...args.slice(6)];
});

afterAll(async () => {
  await box?.drop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('rehearse, refusing what it cannot do reading the target only', () => {
  it('without a plan of the module: RehearsalScopeError, and no server is started', async () => {
    const { restore } = await loadModule(join(REPO_ROOT, 'restores'), MODULE);
    let started = 0;
    const error = await rehearse(
      box.target,
      restore,
      { backup: incident.backupFile, importBatch: incident.importBatch },
      {
        controlSchema: box.controlSchema,
        startServer: async () => {
          started++;
          throw new Error('not to be started');
        },
      },
    ).catch((e: unknown) => e);
    expect(isErrorNamed(error, 'RehearsalScopeError'), String(error)).toBe(true);
    expect((error as Error).message).toContain(
      `found none: rehearse reads the rows to copy from a plan's scopes`,
    );
    expect(started).toBe(0);
    const cli = await runCli(['rehearse', MODULE, ...rehearseArgs, '-q']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain(`run \`rowback plan ${MODULE}\` with the same params first`);
  });

  it('a module whose write is not bounded by a scope or snapshot: RehearsalScopeError naming the write', async () => {
    const dir = join(work, 'restores');
    const id = '20261204-unbounded-purge';
    await mkdir(join(dir, id), { recursive: true });
    await writeFile(
      join(dir, id, 'index.ts'),
      `import { defineRestore, sql } from 'rowback';
import { z } from 'zod';
export default defineRestore({
  id: '${id}', title: 'purge by a where condition, no scope', params: z.object({}), retention: { days: 0 },
  runbook: { context: 'test', decisions: [], references: [] },
  async run(r) {
    await r.transaction('purge', async (tx) => {
      await tx.purge('wp_ep_results', { where: sql\`t.score IS NULL\`, expect: { min: 0 } });
    });
  },
});
`,
    );
    const planned = await runCli(['plan', id, '--restores', dir, ...args.slice(0, 6), '--json', '-q']);
    expect(planned.code, planned.stderr).toBe(0);
    const result = await runCli(['rehearse', id, '--restores', dir, ...args.slice(0, 4), '-q']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("found purge on wp_ep_results in step 'purge' unbounded");
  });
});

describe('rowback rehearse of the WPCA module', () => {
  let report: RehearsalReport;
  let planned: ReturnType<typeof runReportSchema.parse>;
  let before: Awaited<ReturnType<typeof liveState>>;
  let rehearsalPort: number;

  beforeAll(async () => {
    const plan = await runCli(['plan', MODULE, ...args, '--json', '-q']);
    expect(plan.code, plan.stderr).toBe(0);
    planned = runReportSchema.parse(JSON.parse(plan.stdout));
    before = await liveState();
    const result = await runCli([
      'rehearse',
      MODULE,
      ...rehearseArgs,
      '--json',
      '--html',
      join(ARTEFACTS, 'rehearse.html'),
    ]);
    expect(result.code, result.stderr).toBe(0);
    report = JSON.parse(result.stdout) as RehearsalReport;
    rehearsalPort = Number(/at mysql:\/\/[^@]*@127\.0\.0\.1:(\d+)/.exec(result.stderr)?.[1]);
  });

  it('passes end to end: plan, apply and undo on the copy, undo exact by checksums; the live target only read', async () => {
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(report.planRunId).toBe(planned.runId);
    expect(report.apply?.status).toBe('done');
    expect(report.undo?.status).toBe('done');
    expect(report.applyExact).toBe(true);
    expect(report.undoExact).toBe(true);
    for (const c of report.checksums) expect(c.afterUndo, c.table).toBe(c.copied);
    // The restore changed the users and purged the batch on the copy, then undo put them back.
    const users = report.checksums.find((c) => c.table === 'wp_users')!;
    expect(users.afterApply).not.toBe(users.copied);
    expect(report.notices.join('\n')).toContain("manual step 'reimport' was confirmed automatically");
    expect(await liveState()).toEqual(before);
    // And its server is gone.
    expect(rehearsalPort).toBeGreaterThan(0);
    expect(await listening(rehearsalPort)).toBe(false);
  });

  it('copies only the rows the module can touch, widened by foreign keys, with the FKs and the trigger', async () => {
    const table = (name: string) => report.tables.find((t) => t.table === name)!;
    expect(table('wp_ep_participants').rows).toBe(incident.imported.participantIds.length);
    expect(table('wp_ep_results').rows).toBe(incident.imported.resultIds.length);
    expect(table('wp_ep_results').reasons).toContain('FK fk_result_participant child of wp_ep_participants');
    // The batch's events came as the parents its participants point at.
    const events = await sql<{ n: number }>`
      SELECT COUNT(DISTINCT event_id) AS n FROM wp_ep_participants WHERE import_batch = ${incident.importBatch}`.execute(
      box.target.db,
    );
    expect(table('wp_ep_events').rows).toBe(Number(events.rows[0]!.n));
    expect(table('wp_ep_events').reasons).toEqual(['FK fk_participant_event parent of wp_ep_participants']);
    expect(table('wp_users').rows).toBeGreaterThanOrEqual(incident.collidedUserIds.length);
    expect(table('wp_users').rows).toBeLessThan(120);
    expect(table('wp_users').triggers).toBe(1);
    expect(table('wp_ep_results').foreignKeys).toBe(1);
    expect(table('wp_ep_imports').rows).toBe(1);
    // Tables the module cannot touch are there, empty.
    expect(table('wp_options').rows).toBe(0);
  });

  it('forecasts the live run: each step with time and rows, the plan counts again, transactions against the limits', async () => {
    const apply = report.apply!;
    expect(apply.steps.map((s) => s.name)).toEqual(planned.steps.map((s) => s.name));
    for (const s of apply.steps) expect(s.durationMs, s.name).toBeGreaterThanOrEqual(0);
    for (const name of [
      'import-batch',
      'batch-participants',
      'batch-results',
      'matched-uids',
      'collided-users',
      'collided-meta',
    ]) {
      expect(apply.steps.find((s) => s.name === name)?.rows, name).toBe(
        planned.steps.find((s) => s.name === name)?.rows,
      );
    }
    expect(report.transactions.map((t) => t.name)).toEqual(['purge-batch', 'restore-users']);
    for (const t of report.transactions) expect(t.estimatedBytes).toBeGreaterThan(0);
    expect(report.transactions[0]!.rows).toBe(
      incident.imported.participantIds.length + incident.imported.resultIds.length,
    );
    expect(report.server.flavour).toBe(box.target.server.flavour);
    expect(report.differences.filter((d) => d.setting === 'version')).toEqual([]);
  });

  it.skipIf(!chromiumInstalled)(
    'its HTML report shows the same numbers, in Chromium, fetching nothing',
    async () => {
      const opened = await openInChromium(join(ARTEFACTS, 'rehearse.html'));
      try {
        await opened.page.screenshot({ path: join(ARTEFACTS, 'rehearse.png'), fullPage: true });
        const { page } = opened;
        expect(await page.locator('[data-field="status"]').textContent()).toBe('done');
        expect(await page.locator('[data-field="undoExact"]').textContent()).toBe('exact');
        const copied = await page
          .locator('#copied tr[data-table]')
          .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-table'), r.children[1]?.textContent]));
        expect(copied).toEqual(report.tables.map((t) => [t.table, String(t.rows)]));
        const sums = await page
          .locator('#checksums tr[data-table]')
          .evaluateAll((rows) => rows.map((r) => [1, 2, 3].map((i) => r.children[i]?.textContent)));
        expect(sums).toEqual(
          report.checksums.map((c) => [c.copied ?? '-', c.afterApply ?? '-', c.afterUndo ?? '-']),
        );
        const steps = await page
          .locator('#timeline tbody tr')
          .evaluateAll((rows) => rows.map((r) => r.children[1]?.textContent));
        expect(steps).toEqual(report.apply!.steps.map((s) => s.name));
        expect(await page.locator('#limits tr[data-transaction]').count()).toBe(2);
        expect(opened.requests).toEqual([]);
        expect(opened.errors).toEqual([]);
      } finally {
        await opened.close();
      }
    },
  );
});

describe('rehearse of a module whose backup is a schema on the target (fromSchema)', () => {
  let backupBox: Sandbox | undefined;
  afterAll(async () => {
    await backupBox?.drop();
  });

  it('copies that schema to the rehearsal server under its own name, and passes', async () => {
    backupBox = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'rhbk' });
    await backupBox.load({ file: incident.backupFile });
    const schemaArgs = (list: readonly string[]) =>
      list.map((a) => (a === `backup=${incident.backupFile}` ? `backup=${backupBox!.schema}` : a));
    const plan = await runCli([
      'plan',
      MODULE,
      ...schemaArgs(args),
      '--param',
      'backupKind=schema',
      '--json',
      '-q',
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    const before = await liveState();
    const result = await runCli([
      'rehearse',
      MODULE,
      ...schemaArgs(rehearseArgs),
      '--param',
      'backupKind=schema',
      '--json',
    ]);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as RehearsalReport;
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(report.undoExact).toBe(true);
    expect(report.notices).toContain(
      `backup schema ${backupBox.schema} copied whole from the target for fromSchema (wp_users, wp_usermeta)`,
    );
    expect(await liveState()).toEqual(before);
  });
});

describe('rehearse on a server unlike the target', () => {
  it('mimics what it can (server collation), and --strict stops on what it cannot (lower_case_table_names)', async () => {
    const env = {
      ROWBACK_TEST_SERVER_ARGS:
        '--lower-case-table-names=1 --character-set-server=latin1 --collation-server=latin1_swedish_ci',
    };
    const before = await liveState();
    const result = await runCli(['rehearse', MODULE, ...rehearseArgs, '--strict', '-q'], { env });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toContain('found it differs in lower_case_table_names (target 0, rehearsal 1)');
    expect(result.stderr).not.toContain('collation_server (target');
    expect(await liveState()).toEqual(before);
    const port = Number(/at mysql:\/\/[^@]*@127\.0\.0\.1:(\d+)/.exec(result.stderr)?.[1]);
    expect(port).toBeGreaterThan(0);
    expect(await listening(port)).toBe(false);
  });
});

describe('rehearse interrupted', () => {
  it('Ctrl-C stops the rehearsal server (exit 130), and the live target is unchanged', async () => {
    const before = await liveState();
    const cli = startCli(['rehearse', MODULE, ...rehearseArgs]);
    await cli.waitForStderr(/rehearsal server .* at mysql:\/\/[^@]*@127\.0\.0\.1:\d+/);
    cli.kill('SIGINT');
    const result = await cli.done;
    expect(result.code).toBe(130);
    const port = Number(/at mysql:\/\/[^@]*@127\.0\.0\.1:(\d+)/.exec(result.stderr)?.[1]);
    expect(await listening(port)).toBe(false);
    expect(await liveState()).toEqual(before);
    // The server is gone: nothing to connect to.
    await expect(connect({ ...parseConnectionUrl(inject('mysqlUrl')), port })).rejects.toThrow();
  });
});
