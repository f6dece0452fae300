import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { formatConnectionUrl, parseConnectionUrl, sql } from 'rowback';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli, startCli } from '../support/run-cli.ts';
import { createRig, ledgerRuns, MODULE_ID, moduleSource, type Rig } from './harness.ts';

/**
 * Issue 7, case 3: chunked transactions (`{ chunk: { scope, size } }`) are resumable, not atomic. Killed
 * mid-way, exactly the committed chunks are in live (whole chunks, in key order), the ledger knows them,
 * `--resume` starts at the first unfinished chunk, and the reports state how many chunks committed.
 */
const USERS = 6_000;
const CHUNK = 1_000;
const CHUNKS = USERS / CHUNK;
let rig: Rig;
const runnerUser = `rbc_${randomBytes(3).toString('hex')}`;
let runnerEnv: Record<string, string>;

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') }, USERS);
  await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID, { chunk: CHUNK }));
  for (const host of ['%', 'localhost']) {
    await rig.box.load({ sql: `CREATE USER '${runnerUser}'@'${host}'` });
    await rig.box.load({ sql: `GRANT ALL ON *.* TO '${runnerUser}'@'${host}'` });
  }
  runnerEnv = {
    ...rig.env,
    ROWBACK_DATABASE_URL: formatConnectionUrl({ ...parseConnectionUrl(rig.box.url), user: runnerUser }),
  };
}, 180_000);

afterAll(async () => {
  for (const host of ['%', 'localhost'])
    await rig?.box.load({ sql: `DROP USER IF EXISTS '${runnerUser}'@'${host}'` }).catch(() => undefined);
  await rig?.drop();
});

beforeEach(async () => {
  await rig.reset();
});

/** Which users are restored: must be exactly the users of the first `n` chunks (key order). */
async function restoredUsers(): Promise<{ users: number; maxId: number; meta: number }> {
  const r = await sql<{ users: string; maxId: string | null }>`
    SELECT COUNT(*) AS users, MAX(ID) AS maxId FROM wp_users WHERE user_email LIKE '%@example.org'`.execute(
    rig.box.target.db,
  );
  const m = await sql<{ n: string }>`
    SELECT COUNT(*) AS n FROM wp_usermeta WHERE meta_value NOT LIKE 'WRONG %'`.execute(rig.box.target.db);
  return {
    users: Number(r.rows[0]?.users),
    maxId: Number(r.rows[0]?.maxId ?? 0),
    meta: Number(m.rows[0]?.n),
  };
}

async function chunkSteps(): Promise<string[]> {
  const r = await sql<{ name: string; status: string }>`
    SELECT name, status FROM ${sql.id(rig.box.controlSchema, 'steps')} WHERE kind = 'chunk' ORDER BY run_id, seq`.execute(
    rig.box.target.db,
  );
  return r.rows.filter((s) => s.status === 'done').map((s) => s.name);
}

describe('chunked transactions', () => {
  it('killed mid-way: whole chunks only, --resume starts at the first unfinished chunk, reports count chunks', async () => {
    for (const killAfter of [1, 3]) {
      await rig.reset();
      const child = startCli(['apply', MODULE_ID, ...rig.common(), '--yes'], { env: rig.env });
      await child.waitForStderr(new RegExp(`done\\s+chunk restore#${killAfter} `));
      child.kill('SIGKILL');
      await child.done;
      const committed = await chunkSteps();
      // The kill may land a moment after the next chunk committed too: never in the middle of one.
      expect(committed.length).toBeGreaterThanOrEqual(killAfter);
      const restored = await restoredUsers();
      expect(restored).toEqual({
        users: committed.length * CHUNK,
        maxId: committed.length * CHUNK,
        meta: 2 * committed.length * CHUNK,
      });
      const runs = await ledgerRuns(rig, MODULE_ID);
      expect(runs[0]?.status).toBe('interrupted');
      const resumed = await runCli(['apply', MODULE_ID, ...rig.common(), '--yes', '--resume', '--json'], {
        env: rig.env,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      const report = JSON.parse(resumed.stdout);
      const chunks = report.steps.filter((s: { kind: string }) => s.kind === 'chunk');
      expect(chunks.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual(
        Array.from(
          { length: CHUNKS },
          (_, i) => `restore#${i + 1}:${i < committed.length ? 'skipped' : 'done'}`,
        ),
      );
      expect(report.transactions.find((t: { name: string }) => t.name === 'restore')).toMatchObject({
        atomic: false,
        chunks: CHUNKS,
        chunksCommitted: CHUNKS,
      });
      expect(await rig.liveState()).toBe(rig.pristine);
      const undone = await runCli(
        ['undo', report.runId, '--control-schema', rig.box.controlSchema, '--yes'],
        {
          env: rig.env,
        },
      );
      expect(undone.code, undone.stderr).toBe(0);
      expect(await rig.liveState()).toBe(rig.damaged);
    }
  }, 300_000);

  it('a chunk that fails (its session killed): the report says how many chunks committed, resume finishes', async () => {
    const child = startCli(['apply', MODULE_ID, ...rig.common(), '--yes', '--json'], { env: runnerEnv });
    await child.waitForStderr(/done\s+chunk restore#2 /);
    // Kill the session of the next chunk's transaction as soon as it has one.
    let killed = false;
    for (let i = 0; i < 400 && !killed; i++) {
      const trx = await sql<{ id: string }>`
        SELECT t.trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX t
        JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id WHERE p.USER = ${runnerUser}`.execute(
        rig.box.target.db,
      );
      const id = trx.rows[0]?.id;
      if (id) {
        await sql.raw(`KILL CONNECTION ${id}`).execute(rig.box.target.db);
        killed = true;
      } else await sleep(10);
    }
    const result = await child.done;
    const report = JSON.parse(result.stdout);
    const committed = await chunkSteps();
    if (result.code === 0) {
      // The kill came too late to hit a chunk (all had committed): nothing to check but the end state.
      expect(await rig.liveState()).toBe(rig.pristine);
      return;
    }
    expect(report.status).toBe('failed');
    const tx = report.transactions.find((t: { name: string }) => t.name === 'restore');
    expect(tx).toMatchObject({ atomic: false, chunks: CHUNKS, chunksCommitted: committed.length });
    expect((await restoredUsers()).users).toBe(committed.length * CHUNK);
    const resumed = await runCli(['apply', MODULE_ID, ...rig.common(), '--yes', '--resume'], {
      env: rig.env,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
  }, 300_000);
});
