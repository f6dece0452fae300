import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { formatConnectionUrl, parseConnectionUrl, runReportSchema, sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { REPO_ROOT, runCli, startCli } from '../support/run-cli.ts';

const ID = '20261126-cli-test';
const restoresDir = join(REPO_ROOT, '.rowback-tmp', `cli-restores-${randomBytes(3).toString('hex')}`);
const moduleFile = join(restoresDir, ID, 'index.ts');

/** A module in the shape users write: extract, scope, snapshot, one transaction, optional manual step. */
const moduleSource = (extra = '') => `import { defineRestore, fromSchema, sql } from 'rowback';
import { z } from 'zod';
export default defineRestore({
  id: '${ID}',
  title: 'CLI test: put back damaged users',
  params: z.object({ backupSchema: z.string(), manual: z.enum(['yes', 'no']).default('no') }),
  retention: { days: 0 },
  runbook: { context: 'Test context.', decisions: ['Blanket replace.'], references: ['test'] },
  async run(r, p) {
    const backup = await r.extract('backup', fromSchema(p.backupSchema, { tables: ['wp_users', 'wp_usermeta'] }));
    const users = await r.scope('damaged-users',
      sql\`SELECT l.ID FROM wp_users l JOIN \${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)\`,
      { key: 'ID', keyFrom: 'wp_users', expect: { min: 1 } });
    await r.snapshot('before', ['wp_users', 'wp_usermeta'], { scope: users, on: { wp_usermeta: 'user_id' } });
    await r.transaction('restore', async (tx) => {
      await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
      await tx.replaceChildren('wp_usermeta', { from: backup.table('wp_usermeta'), parentKey: 'user_id', scope: users });
      await tx.verify('users equal backup', tx.diff('wp_users', backup.table('wp_users'), { scope: users }), { expect: 'no-diff' });
    });
    if (p.manual === 'yes') await r.manual('reimport', 'Re-run the import with the fixed importer');
    await r.verify('no damaged user left', sql\`SELECT l.ID FROM wp_users l JOIN \${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)\`, { expect: { rows: 0 } });
    ${extra}
  },
});
`;

let box: Sandbox;
let backupSchema: string;
let env: Record<string, string>;
const users = 400;
/** 1..users on MySQL 8 and MariaDB alike (a recursive CTE; MariaDB's seq_ tables are not portable). */
const numbers = `WITH RECURSIVE n (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < ${users}) SELECT seq FROM n`;

async function resetLiveData(): Promise<void> {
  await box.load({ sql: 'DELETE FROM wp_usermeta; DELETE FROM wp_users' });
  await box.load({
    sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          SELECT seq, CONCAT('user', seq), 'x', CONCAT('user', seq), CONCAT('user', seq, '@example.org'), '2024-01-01 00:00:00', CONCAT('User ', seq)
          FROM (${numbers}) AS s`,
  });
  await box.load({
    sql: `INSERT INTO wp_usermeta (umeta_id, user_id, meta_key, meta_value) SELECT seq, seq, 'nickname', CONCAT('nick', seq) FROM (${numbers}) AS s`,
  });
}

beforeAll(async () => {
  box = await createSandbox(
    { url: inject('mysqlUrl') },
    { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')] },
  );
  await resetLiveData();
  backupSchema = box.schemaName('backup');
  await box.load({ sql: `CREATE DATABASE \`${backupSchema}\`` });
  for (const t of ['wp_users', 'wp_usermeta']) {
    await box.load({ sql: `CREATE TABLE \`${backupSchema}\`.${t} LIKE ${t}` });
    await box.load({ sql: `INSERT INTO \`${backupSchema}\`.${t} SELECT * FROM ${t}` });
  }
  await mkdir(join(restoresDir, ID), { recursive: true });
  await writeFile(moduleFile, moduleSource());
  env = {
    ROWBACK_DATABASE_URL: box.url,
    ROWBACK_RESTORES_DIR: restoresDir,
    ROWBACK_PARAM_backupSchema: backupSchema,
  };
});

afterAll(async () => {
  await box?.drop();
  await rm(restoresDir, { recursive: true, force: true });
});

const common = () => ['--control-schema', box.controlSchema, '--workspace', box.workspaceSchema];

async function damage(): Promise<void> {
  await box.load({
    sql: "UPDATE wp_users SET user_email = CONCAT('wrong', ID, '@evil.example') WHERE ID % 10 = 3",
  });
  await box.load({ sql: "UPDATE wp_usermeta SET meta_value = 'WRONG' WHERE user_id % 10 = 3" });
}

async function liveState(): Promise<string> {
  return `${await box.checksum('wp_users')}/${await box.checksum('wp_usermeta')}`;
}

/** Names of the tables in a schema (none when it does not exist). */
async function tablesIn(schema: string): Promise<string[]> {
  const r = await sql<{ TABLE_NAME: string }>`
    SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME`.execute(
    box.target.db,
  );
  return r.rows.map((row) => row.TABLE_NAME);
}

/**
 * `rowback apply` in-process on a terminal (stdin and stderr are TTYs, as for an operator), typing
 * `answer` at the confirmation prompt once it is shown.
 */
async function applyOnTerminal(answer: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  const stdout = new PassThrough();
  const text = { out: '', err: '' };
  let typed = false;
  stdout.on('data', (d: Buffer) => {
    text.out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    text.err += d.toString();
    if (!typed && /Type the schema name \(\S+\) to confirm: /.test(text.err)) {
      typed = true;
      stdin.write(`${answer}\r`);
    }
  });
  const code = await main(['apply', ID, ...common()], { stdin, stdout, stderr, env, cwd: REPO_ROOT });
  return { code, stdout: text.out, stderr: text.err };
}

describe('rowback CLI against a real server', () => {
  let pristine: string;
  beforeEach(async () => {
    await resetLiveData();
    pristine = await liveState();
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.workspaceSchema}\`` });
    await writeFile(moduleFile, moduleSource());
    await damage();
  });

  it('plan changes nothing; plan → apply → status → undo → status round-trips byte-identically', async () => {
    const damaged = await liveState();
    const planned = await runCli(['plan', ID, ...common(), '--json'], { env });
    expect(planned.code, planned.stderr).toBe(0);
    const plan = runReportSchema.parse(JSON.parse(planned.stdout));
    expect(plan.status).toBe('done');
    expect(plan.steps.find((s) => s.name === 'damaged-users')?.rows).toBe(40);
    expect(
      plan.driftProfiles.find((p) => p.table === 'wp_users')?.columns.find((c) => c.column === 'user_email')
        ?.differing,
    ).toBe(40);
    expect(await liveState()).toBe(damaged);

    const applied = await runCli(['apply', ID, ...common(), '--yes', '--json'], { env });
    expect(applied.code, applied.stderr + applied.stdout.slice(-3000)).toBe(0);
    const report = runReportSchema.parse(JSON.parse(applied.stdout));
    expect(report.backups).toMatchObject({ backup: { source: `schema ${backupSchema}` } });
    const ledgerRun = await sql<{
      provenance_json: string;
    }>`SELECT provenance_json FROM ${sql.id(box.controlSchema, 'runs')} WHERE id = ${report.runId}`.execute(
      box.target.db,
    );
    expect(JSON.parse(ledgerRun.rows[0]!.provenance_json)).toEqual(report.backups);
    const tx = report.steps.find((s) => s.name === 'restore')!;
    expect(tx.operations.find((o) => o.kind === 'replaceRows')?.rows).toBeGreaterThanOrEqual(40);
    expect(await liveState()).toBe(pristine);

    const status = await runCli(['status', ID, '--control-schema', box.controlSchema, '--json'], { env });
    const runs = JSON.parse(status.stdout).runs as { runId: string; mode: string; status: string }[];
    expect(runs.map((r) => `${r.mode}:${r.status}`)).toEqual(['apply:done', 'plan:done']);

    const undone = await runCli(['undo', report.runId!, '--control-schema', box.controlSchema, '--yes'], {
      env,
    });
    expect(undone.code, undone.stderr).toBe(0);
    expect(await liveState()).toBe(damaged);
    const after = JSON.parse(
      (await runCli(['status', ID, '--control-schema', box.controlSchema, '--json'], { env })).stdout,
    ).runs;
    expect(after[0]).toMatchObject({ mode: 'undo', status: 'done', undoOf: report.runId });
  });

  it('refuses an already applied module (exit 6) unless --force, which is recorded', async () => {
    const first = await runCli(['apply', ID, ...common(), '--yes'], { env });
    expect(first.code).toBe(0);
    // An apply without a size limit does not estimate: it must not print a measured-looking "~0 bytes".
    expect(first.stdout).not.toMatch(/~0 bytes/);
    expect(first.stdout).toMatch(/size not estimated/);
    const again = await runCli(['apply', ID, ...common(), '--yes'], { env });
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/was applied by run \d+.*--force/);
    const forced = await runCli(['apply', ID, ...common(), '--yes', '--force', '--json'], { env });
    expect(JSON.parse(forced.stdout)).toMatchObject({ forced: true });
  });

  it('refuses a second concurrent apply (exit 4) naming the holder', async () => {
    const { lockName: name } = await import('rowback');
    await box.target.db.connection().execute(async (pinned) => {
      const lock = name(box.target, box.controlSchema, `module:${ID}`);
      await sql`SELECT GET_LOCK(${lock}, 0)`.execute(pinned);
      const second = await runCli(['apply', ID, ...common(), '--yes'], { env });
      expect(second.code).toBe(4);
      expect(second.stderr).toMatch(/held by connection \d+/);
      await sql`SELECT RELEASE_LOCK(${lock})`.execute(pinned);
    });
  });

  it('warns when the module changed since the plan, and refuses when live rows drifted (exit 7)', async () => {
    expect((await runCli(['plan', ID, ...common()], { env })).code).toBe(0);
    await writeFile(moduleFile, moduleSource('// a reviewed change'));
    await box.load({ sql: "UPDATE wp_users SET display_name = 'changed after plan' WHERE ID = 13" });
    const applied = await runCli(['apply', ID, ...common(), '--yes'], { env });
    // The warning names the module and both checksums; the drift error (exit 7) names the table.
    expect(applied.stderr).toMatch(
      new RegExp(`module ${ID} changed since plan run \\d+ \\(checksum [0-9a-f]{12} → [0-9a-f]{12}\\)`),
    );
    expect(applied.code).toBe(7);
    expect(applied.stdout).toMatch(/the scoped live rows of \S*wp_users\S* changed since plan run \d+/);
  });

  it('a failed gate (exit 3) says what stayed committed: nothing before the transaction, the transaction after it', async () => {
    // No damage: the scope gate (min 1) fails before any transaction.
    await resetLiveData();
    const early = await runCli(['apply', ID, ...common(), '--yes'], { env });
    expect(early.code, early.stderr).toBe(3);
    expect(early.stderr).toContain(
      'rowback: Live data: no transaction was committed; nothing was written to live data.',
    );
    expect(early.stdout).toContain('Live data: no transaction was committed');
    expect(await liveState()).toBe(pristine);

    await damage();
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
    await writeFile(
      moduleFile,
      moduleSource("await r.verify('impossible', sql`SELECT 1 AS one`, { expect: { rows: 0 } });"),
    );
    const late = await runCli(['apply', ID, ...common(), '--yes', '--json'], { env });
    expect(late.code, late.stderr).toBe(3);
    const report = JSON.parse(late.stdout);
    expect(late.stderr).toContain(
      `rowback: Live data: committed before the failure and kept, by this run (${report.runId}): restore.`,
    );
    // It is true: the transaction's writes are in live data.
    expect(await liveState()).toBe(pristine);
  });

  it('stops at a manual step (exit 5) and completes with --resume', async () => {
    const first = await runCli(['apply', ID, ...common(), '--yes', '--param', 'manual=yes'], { env });
    expect(first.code, first.stderr).toBe(5);
    expect(first.stdout).toMatch(/awaits the operator/);
    expect(first.stdout).toMatch(/\| reimport \| manual \| awaiting \|/);
    expect(await liveState()).toBe(pristine);
    const resumed = await runCli(
      ['apply', ID, ...common(), '--yes', '--param', 'manual=yes', '--resume', '--json'],
      { env },
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout);
    expect(
      report.steps
        .filter((s: { status: string }) => s.status === 'skipped')
        .map((s: { name: string }) => s.name),
    ).toEqual(['backup', 'damaged-users', 'before', 'restore']);
    expect(report.steps.find((s: { name: string }) => s.name === 'reimport').note).toMatch(
      /confirmed by resuming/,
    );
  });

  it('renders the runbook with all six sections and the counts of the latest run', async () => {
    await runCli(['plan', ID, ...common()], { env });
    const rendered = await runCli(['render', ID, '--control-schema', box.controlSchema], { env });
    for (const section of ['Context', 'Scope', 'Execution', 'Decisions', 'Retention', 'References']) {
      expect(rendered.stdout).toContain(`## ${section}`);
    }
    expect(rendered.stdout).toMatch(/damaged-users \| >= 1 \| 40/);
  });

  it('gc drops only expired artifacts it created', async () => {
    expect((await runCli(['apply', ID, ...common(), '--yes'], { env })).code).toBe(0);
    await box.load({ sql: `CREATE TABLE \`${box.workspaceSchema}\`.operator_notes (id INT PRIMARY KEY)` });
    const dry = await runCli(['gc', '--control-schema', box.controlSchema, '--dry-run', '--json'], { env });
    expect(JSON.parse(dry.stdout).dropped).toEqual([]);
    // The dry run says what the real run will do: the schema is kept only for the operator's table.
    expect(JSON.parse(dry.stdout).kept.map((k: { reason: string }) => k.reason)).toEqual([
      'the schema still holds 1 table(s), 0 of them not yet expired',
    ]);
    const gc = await runCli(['gc', '--control-schema', box.controlSchema, '--json'], { env });
    const result = JSON.parse(gc.stdout);
    expect(result.dropped.length).toBeGreaterThan(3);
    const left = await sql<{
      TABLE_NAME: string;
    }>`SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${box.workspaceSchema}`.execute(
      box.target.db,
    );
    expect(left.rows.map((r) => r.TABLE_NAME)).toEqual(['operator_notes']);
    expect(result.kept.some((k: { reason: string }) => /still holds 1 table/.test(k.reason))).toBe(true);
  });

  it('keeps artifacts for the retention days (30): gc drops nothing before they expire, all of them after', async () => {
    await writeFile(moduleFile, moduleSource().replace('retention: { days: 0 }', 'retention: { days: 30 }'));
    expect((await runCli(['apply', ID, ...common(), '--yes'], { env })).code).toBe(0);
    const artifacts = sql.id(box.controlSchema, 'artifacts');
    const lifetimes = await sql<{ seconds: string; n: string }>`
      SELECT TIMESTAMPDIFF(SECOND, created_at, expires_at) AS seconds, COUNT(*) AS n FROM ${artifacts}
      GROUP BY seconds`.execute(box.target.db);
    expect(lifetimes.rows.map((r) => Number(r.seconds))).toEqual([30 * 86_400]);
    const made = await tablesIn(box.workspaceSchema);
    expect(made.length).toBeGreaterThan(3);
    const early = await runCli(['gc', '--control-schema', box.controlSchema, '--json'], { env });
    expect(early.code, early.stderr).toBe(0);
    expect(JSON.parse(early.stdout)).toMatchObject({ expired: [], dropped: [] });
    expect(await tablesIn(box.workspaceSchema)).toEqual(made);
    // 30 days later (the ledger's clock moved instead of the server's):
    await box.load({
      sql: `UPDATE \`${box.controlSchema}\`.artifacts SET expires_at = expires_at - INTERVAL 30 DAY, created_at = created_at - INTERVAL 30 DAY`,
    });
    const late = await runCli(['gc', '--control-schema', box.controlSchema, '--json'], { env });
    expect(late.code, late.stderr).toBe(0);
    expect(
      JSON.parse(late.stdout)
        .dropped.map((d: { table: string | null }) => d.table)
        .filter((t: string | null) => t !== null)
        .sort(),
    ).toEqual(expect.arrayContaining(made));
    expect(await tablesIn(box.workspaceSchema)).toEqual([]);
  });

  it("shows sample row diffs, field by field, in the plan's drift profile", async () => {
    const planned = await runCli(['plan', ID, ...common(), '--json'], { env });
    expect(planned.code, planned.stderr).toBe(0);
    const profile = runReportSchema
      .parse(JSON.parse(planned.stdout))
      .driftProfiles.find((p) => p.table === 'wp_users');
    expect(profile?.differingRows).toBe(40);
    // Five samples, each a damaged user (ID % 10 = 3) with exactly its damaged field, live and backup.
    expect(profile?.samples).toHaveLength(5);
    for (const sample of profile!.samples) {
      const id = Number(sample.key.ID);
      expect(id % 10, JSON.stringify(sample)).toBe(3);
      expect(sample).toEqual({
        key: { ID: sample.key.ID },
        status: 'changed',
        fields: [
          {
            column: 'user_email',
            live: `wrong${id}@evil.example`,
            backup: `user${id}@example.org`,
            textDiff: null,
          },
        ],
      });
    }
    const markdown = await runCli(['plan', ID, ...common()], { env });
    expect(markdown.stdout).toMatch(/user_email.*wrong\d+@evil\.example.*user\d+@example\.org/);
  });

  it('--expect-host refuses another server before anything runs (exit 2), and applies on the right one', async () => {
    const damaged = await liveState();
    const host = (await sql<{ h: string }>`SELECT @@hostname AS h`.execute(box.target.db)).rows[0]!.h;
    const wrong = await runCli(['apply', ID, ...common(), '--yes', '--expect-host', `not-${host}`], { env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`--expect-host not-${host} does not match the server's hostname ${host}`);
    expect(await liveState()).toBe(damaged);
    expect(await tablesIn(box.workspaceSchema)).toEqual([]);
    const runs = await runCli(['status', ID, '--control-schema', box.controlSchema, '--json'], { env });
    expect(JSON.parse(runs.stdout).runs).toEqual([]);
    const right = await runCli(['apply', ID, ...common(), '--yes', '--expect-host', host], { env });
    expect(right.code, right.stderr).toBe(0);
    expect(await liveState()).toBe(pristine);
  });

  it('on a terminal, apply runs only once the schema name is typed', async () => {
    const damaged = await liveState();
    const refused = await applyOnTerminal('not-the-schema');
    expect(refused.stderr).toMatch(/About to apply .*\n[\s\S]*schema:\s+\S+/);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/apply was not confirmed; nothing was changed/);
    expect(await liveState()).toBe(damaged);
    const confirmed = await applyOnTerminal(box.schema);
    expect(confirmed.code, confirmed.stderr).toBe(0);
    expect(await liveState()).toBe(pristine);
  });

  it('list shows the modules oldest first with title, checksum and retention; a broken one is listed, exit 2', async () => {
    const dir = join(restoresDir, '..', `list-${randomBytes(3).toString('hex')}`);
    const older = '20250101-older';
    try {
      await mkdir(join(dir, ID), { recursive: true });
      await mkdir(join(dir, older), { recursive: true });
      await writeFile(join(dir, ID, 'index.ts'), moduleSource());
      await writeFile(
        join(dir, older, 'index.ts'),
        moduleSource()
          .replace(`id: '${ID}'`, `id: '${older}'`)
          .replace('retention: { days: 0 }', 'retention: { days: 7 }')
          .replace('CLI test: put back damaged users', 'The older one'),
      );
      const listed = await runCli(['list', '--restores', dir, '--json'], { env });
      expect(listed.code, listed.stderr).toBe(0);
      const { modules } = JSON.parse(listed.stdout);
      expect(modules).toEqual([
        {
          id: older,
          title: 'The older one',
          checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
          retentionDays: 7,
          error: null,
        },
        {
          id: ID,
          title: 'CLI test: put back damaged users',
          checksum: expect.stringMatching(/^[0-9a-f]{64}$/),
          retentionDays: 0,
          error: null,
        },
      ]);
      expect(modules[0].checksum).not.toBe(modules[1].checksum);
      const text = await runCli(['list', '--restores', dir], { env });
      expect(text.stdout).toMatch(
        new RegExp(`${older} \\| The older one \\| ${modules[0].checksum.slice(0, 12)} \\| 7 d`),
      );
      expect(text.stdout.indexOf(older)).toBeLessThan(text.stdout.indexOf(ID));
      await mkdir(join(dir, '20261201-broken'), { recursive: true });
      await writeFile(join(dir, '20261201-broken', 'index.ts'), 'export default {};\n');
      const broken = await runCli(['list', '--restores', dir, '--json'], { env });
      expect(broken.code).toBe(2);
      const all = JSON.parse(broken.stdout).modules;
      expect(all.map((m: { id: string }) => m.id)).toEqual([older, ID, '20261201-broken']);
      expect(all[2].error).toMatch(/\S/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('never shows a password given in --db: not in output, report or ledger', async () => {
    const password = `pw-${randomBytes(6).toString('hex')}`;
    const user = `rb_${randomBytes(3).toString('hex')}`;
    await box.load({ sql: `CREATE USER '${user}'@'%' IDENTIFIED BY '${password}'` });
    await box.load({ sql: `CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}'` });
    await box.load({ sql: `GRANT ALL ON *.* TO '${user}'@'%'` });
    await box.load({ sql: `GRANT ALL ON *.* TO '${user}'@'localhost'` });
    try {
      const url = formatConnectionUrl({ ...parseConnectionUrl(box.url), user, password });
      const outputs = [
        await runCli(['plan', ID, ...common(), '--db', url], { env }),
        await runCli(['apply', ID, ...common(), '--db', url, '--yes', '--json'], { env }),
        await runCli(['status', '--control-schema', box.controlSchema, '--db', url], { env }),
        await runCli(['plan', ID, ...common(), '--db', url.replace(password, `${password}x`)], { env }),
      ];
      for (const o of outputs) expect(`${o.stdout}${o.stderr}`).not.toContain(password);
      expect(outputs[3]!.stderr).toMatch(/cannot connect to mysql:\/\/rb_\w+:\*\*\*@/);
      const ledger = await sql<
        Record<string, unknown>
      >`SELECT * FROM ${sql.id(box.controlSchema, 'runs')}`.execute(box.target.db);
      const steps = await sql<
        Record<string, unknown>
      >`SELECT * FROM ${sql.id(box.controlSchema, 'steps')}`.execute(box.target.db);
      expect(JSON.stringify([ledger.rows, steps.rows])).not.toContain(password);
    } finally {
      await box.load({ sql: `DROP USER '${user}'@'%'` });
      await box.load({ sql: `DROP USER '${user}'@'localhost'` });
    }
  });

  it('survives kill -9 during apply: live is pre-run or fully applied, the run shows interrupted, --resume completes', async () => {
    const damaged = await liveState();
    for (const moment of [/extract backup/, /scope damaged-users/, /transaction restore/]) {
      await resetLiveData();
      await damage();
      await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
      await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.workspaceSchema}\`` });
      const child = startCli(['apply', ID, ...common(), '--yes'], { env });
      await child.waitForStderr(moment);
      child.kill('SIGKILL');
      await child.done;
      expect([damaged, pristine]).toContain(await liveState());
      const runs = JSON.parse(
        (await runCli(['status', ID, '--control-schema', box.controlSchema, '--json'], { env })).stdout,
      ).runs;
      expect(runs[0].status).toBe('interrupted');
      const resumed = await runCli(['apply', ID, ...common(), '--yes', '--resume'], { env });
      expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
      expect(await liveState()).toBe(pristine);
    }
  });

  it('says what state things are in when interrupted with Ctrl-C (exit 130)', async () => {
    const damaged = await liveState();
    const child = startCli(['apply', ID, ...common(), '--yes'], { env });
    await child.waitForStderr(/scope damaged-users/);
    child.kill('SIGINT');
    const result = await child.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted\. An open transaction is rolled back by the server.*--resume/);
    expect([damaged, pristine]).toContain(await liveState());
  });

  it('answers bad input with a usage error naming the fix', async () => {
    const { ROWBACK_PARAM_backupSchema: _omitted, ...withoutParam } = env;
    const missing = await runCli(['plan', ID, ...common()], { env: withoutParam });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/param 'backupSchema'/);
    const unknown = await runCli(['plan', '20990101-nope', ...common()], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/known modules: 20261126-cli-test/);
    const noDb = await runCli(['status'], { env: { ROWBACK_DATABASE_URL: '' } });
    expect(noDb.code).toBe(2);
    expect(noDb.stderr).toMatch(/--db/);
  });
});
