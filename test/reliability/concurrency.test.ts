import { join } from 'node:path';
import { quoteId, sql } from 'rowback';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli, startCli } from '../support/run-cli.ts';
import { createRig, ledgerRuns, MODULE_ID, mariadbDump, moduleSource, type Rig } from './harness.ts';

/**
 * Issue 7, case 5: concurrency. Documented behaviour (docs/reliability.md): runs of one module are
 * serialized by its GET_LOCK (a second one is refused, exit 4); runs of different modules are not
 * locked against each other, InnoDB row locks serialize their transactions, and each keeps exact
 * before-images, so undo in reverse order gets back every byte and undo out of order is refused;
 * gc leaves the artifacts of a module whose run is in progress alone.
 */
const B_ID = '20261126-reliability-b';
const moduleB = `import { defineRestore, fromMysqldump, sql } from 'rowback';
import { z } from 'zod';
export default defineRestore({
  id: '${B_ID}',
  title: 'Reliability B: display names from another backup (allow-list)',
  params: z.object({ backup: z.string() }),
  retention: { days: 0 },
  runbook: { context: 'Reliability suite.', decisions: ['Allow-list.'], references: ['issue 7'] },
  async run(r, p) {
    const backup = await r.extract('backup', fromMysqldump(p.backup, { tables: ['wp_users'] }));
    const users = await r.scope('renamed-users',
      sql\`SELECT l.ID FROM wp_users l JOIN \${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.display_name <=> b.display_name)\`,
      { key: 'ID', keyFrom: 'wp_users', expect: { min: 1 } });
    await r.transaction('rename', async (tx) => {
      await tx.upsertColumns('wp_users', { from: backup.table('wp_users'), scope: users, columns: ['display_name'] });
    });
  },
});
`;

let rig: Rig;
let wsB: string;
/** Module B's backup: given by --param, which wins over the rig's ROWBACK_PARAM_backup. */
let backupB: string;

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') }, 4_000);
  await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID));
  await rig.writeModule(B_ID, moduleB);
  // Backup B: the same users with other display names.
  const other = rig.box.schemaName('other');
  await rig.box.load({ sql: `CREATE DATABASE ${quoteId(other)}` });
  await rig.box.load({ sql: `CREATE TABLE ${quoteId(other)}.wp_users LIKE wp_users` });
  await rig.box.load({
    sql: `INSERT INTO ${quoteId(other)}.wp_users SELECT * FROM wp_users`,
  });
  await rig.box.load({ sql: `UPDATE ${quoteId(other)}.wp_users SET display_name = CONCAT('B ', ID)` });
  const fileB = join(rig.restoresDir, '..', 'backup-b.sql');
  await mariadbDump(rig.box.url.replace(rig.box.schema, other), other, ['wp_users'], fileB);
  wsB = rig.box.schemaName('wsb');
  backupB = fileB;
}, 180_000);

afterAll(async () => {
  await rig?.drop();
});

beforeEach(async () => {
  await rig.reset();
  await rig.box.load({ sql: `DROP DATABASE IF EXISTS ${quoteId(wsB)}` });
});

const applyA = (extra: string[] = []) =>
  startCli(['apply', MODULE_ID, ...rig.common(), '--yes', ...extra], { env: rig.env });
const applyB = () =>
  startCli(
    [
      'apply',
      B_ID,
      '--control-schema',
      rig.box.controlSchema,
      '--workspace',
      wsB,
      '--yes',
      '--param',
      `backup=${backupB}`,
    ],
    { env: rig.env },
  );
const undoRun = (runId: string) =>
  runCli(['undo', runId, '--control-schema', rig.box.controlSchema, '--yes', '--json'], { env: rig.env });
const runsOf = (moduleId: string) => ledgerRuns(rig, moduleId);

describe('concurrency', () => {
  it('two applies of the same module at once: one runs, the other is refused (lock held / already applied)', async () => {
    const [first, second] = [applyA(), applyA()];
    const results = await Promise.all([first.done, second.done]);
    const codes = results.map((r) => r.code).sort();
    expect(codes[0], results.map((r) => r.stderr).join('\n')).toBe(0);
    expect([4, 6]).toContain(codes[1]);
    const refused = results.find((r) => r.code !== 0)!;
    expect(refused.stderr).toMatch(/held by connection \d+|was applied by run \d+/);
    expect(await rig.liveState()).toBe(rig.pristine);
    const applies = (await runsOf(MODULE_ID)).filter((r) => r.mode === 'apply');
    expect(applies.map((r) => r.status)).toEqual(['done']);
  });

  it('two different modules on the same rows at once: serialized by row locks; undo in reverse order restores every byte, out of order is refused', async () => {
    const [a, b] = [applyA(), applyB()];
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    const runA = (await runsOf(MODULE_ID)).find((r) => r.mode === 'apply')!;
    const runB = (await runsOf(B_ID)).find((r) => r.mode === 'apply')!;
    // Which transaction committed last decides the final display names, and the undo order.
    const rows = await rig.box.rows('wp_users', { orderBy: 'ID' });
    const bLast = rows.every((r) => String(r.display_name).startsWith('B '));
    const aLast = rows.every((r) => String(r.display_name).startsWith('User '));
    expect(bLast || aLast, 'each transaction is all-or-nothing').toBe(true);
    expect(rows.every((r) => String(r.user_email).endsWith('@example.org'))).toBe(true);
    const [last, firstRun] = bLast ? [runB, runA] : [runA, runB];
    const wrongOrder = await undoRun(firstRun.runId);
    expect(wrongOrder.code).not.toBe(0);
    expect(`${wrongOrder.stdout}${wrongOrder.stderr}`).toMatch(/changed|conflict/i);
    expect(await rig.box.rows('wp_users', { orderBy: 'ID' })).toEqual(rows);
    expect((await undoRun(last.runId)).code).toBe(0);
    expect((await undoRun(firstRun.runId)).code).toBe(0);
    expect(await rig.liveState()).toBe(rig.damaged);
  });

  /**
   * Runs `fn` while a second session holds a row lock the apply's snapshot needs: the apply then sits
   * inside its run, holding the module lock, for as long as `fn` takes (up to innodb_lock_wait_timeout).
   */
  async function whileApplyBlocked(child: ReturnType<typeof applyA>, fn: () => Promise<void>): Promise<void> {
    const other = await rig.box.target.reconnect();
    try {
      await other.db.connection().execute(async (held) => {
        await sql`BEGIN`.execute(held);
        await sql`SELECT * FROM wp_usermeta WHERE user_id = ${rig.users} FOR UPDATE`.execute(held);
        try {
          await child.waitForStderr(/snapshot before …/);
          await fn();
        } finally {
          await sql`ROLLBACK`.execute(held);
        }
      });
    } finally {
      await other.close();
    }
  }

  it('gc during an apply leaves that module alone; the apply completes and can be undone', async () => {
    // A plan first: its artifacts (retention 0 days: expired at once) share names with the apply's.
    expect((await runCli(['plan', MODULE_ID, ...rig.common()], { env: rig.env })).code).toBe(0);
    const child = applyA();
    await whileApplyBlocked(child, async () => {
      const gc = await runCli(['gc', '--control-schema', rig.box.controlSchema, '--json'], { env: rig.env });
      expect(gc.code, gc.stderr).toBe(0);
      const result = JSON.parse(gc.stdout);
      expect(result.dropped.filter((d: { moduleId: string }) => d.moduleId === MODULE_ID)).toEqual([]);
      expect(result.kept.some((k: { reason: string }) => /in progress/.test(k.reason))).toBe(true);
    });
    const done = await child.done;
    expect(done.code, done.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
    const run = (await runsOf(MODULE_ID)).find((r) => r.mode === 'apply')!;
    const undone = await undoRun(run.runId);
    expect(undone.code, undone.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.damaged);
  });

  it('undo while a forced re-apply of the same module runs is refused (lock held), changing nothing', async () => {
    const first = applyA();
    expect((await first.done).code).toBe(0);
    const run = (await runsOf(MODULE_ID)).find((r) => r.mode === 'apply')!;
    // Damaged again (emails only), so the forced re-apply has something to restore.
    await rig.box.load({ sql: "UPDATE wp_users SET user_email = CONCAT('again', ID, '@evil.example')" });
    const second = startCli(['apply', MODULE_ID, ...rig.common(), '--yes', '--force'], { env: rig.env });
    await whileApplyBlocked(second, async () => {
      const undo = await undoRun(run.runId);
      expect(undo.code, `${undo.stderr}${undo.stdout}`).toBe(4);
      expect(undo.stderr).toMatch(/held by connection \d+/);
    });
    const done = await second.done;
    expect(done.code, done.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
  });
});
