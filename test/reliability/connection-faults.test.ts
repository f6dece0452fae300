import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  connect,
  formatConnectionUrl,
  lockName,
  parseConnectionUrl,
  type RunSummary,
  sql,
  type Target,
} from 'rowback';
import { findServerBinary, type MysqlServer, startEphemeralServer } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { prng } from '../support/prng.ts';
import { runCli, startCli } from '../support/run-cli.ts';
import { createRig, ledgerRuns, MODULE_ID, moduleSource, type Rig, SCALE } from './harness.ts';

/**
 * Issue 7, case 2: connection and server faults. These run on this file's OWN ephemeral server (never the
 * shared run server): it is restarted mid-run, and its lock-wait timeout is lowered to 3 s.
 */
const binary = await findServerBinary();
const USERS = 3_000;
/** The same restore, pausing 2 s inside its transaction after wp_users, while it holds those row locks. */
const PAUSE_ID = '20261126-reliability-pause';
const pauseModule = moduleSource(PAUSE_ID).replace(
  "await tx.replaceChildren('wp_usermeta'",
  "await tx.verify('pause', sql`SELECT SLEEP(2) AS s`, { expect: { rows: 1 } });\n      await tx.replaceChildren('wp_usermeta'",
);

describe.skipIf(!binary)('connection and server faults (own ephemeral server)', () => {
  let server: MysqlServer;
  let rig: Rig;
  let admin: Target;
  /** The runner connects as its own user, so its sessions can be told apart in the processlist. */
  const runnerUser = `rbk_${randomBytes(3).toString('hex')}`;
  let runnerEnv: Record<string, string>;

  beforeAll(async () => {
    server = await startEphemeralServer(binary!, { serverArgs: ['--innodb-lock-wait-timeout=3'] });
    admin = await connect(server.url);
    for (const host of ['%', 'localhost']) {
      await sql.raw(`CREATE USER '${runnerUser}'@'${host}'`).execute(admin.db);
      await sql.raw(`GRANT ALL ON *.* TO '${runnerUser}'@'${host}'`).execute(admin.db);
    }
    rig = await createRig(server, USERS);
    await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID));
    await rig.writeModule(PAUSE_ID, pauseModule);
    const url = formatConnectionUrl({ ...parseConnectionUrl(rig.box.url), user: runnerUser });
    runnerEnv = { ...rig.env, ROWBACK_DATABASE_URL: url };
  }, 180_000);

  afterAll(async () => {
    await rig?.drop().catch(() => undefined);
    await admin?.close();
    await server?.stop();
  });

  beforeEach(async () => {
    await rig.reset();
  });

  const apply = (extra: string[] = [], id = MODULE_ID) =>
    runCli(['apply', id, ...rig.common(), '--yes', ...extra], { env: runnerEnv });

  async function runs(id = MODULE_ID): Promise<RunSummary[]> {
    return ledgerRuns(rig, id);
  }

  async function settledRuns(id = MODULE_ID): Promise<RunSummary[]> {
    for (let i = 0; i < 100; i++) {
      const all = await runs(id);
      if (!all.some((r) => r.status === 'running')) return all;
      await sleep(100);
    }
    return runs(id);
  }

  /** Resumes until done (a fault may strike again only in the tests that inject it), then checks undo. */
  async function resumeThenUndo(id = MODULE_ID): Promise<void> {
    const latest = (await settledRuns(id))[0];
    if (latest?.status !== 'done') {
      const resumed = await apply(latest?.mode === 'apply' ? ['--resume'] : [], id);
      expect(resumed.code, resumed.stderr).toBe(0);
    }
    expect(await rig.liveState()).toBe(rig.pristine);
    const done = (await runs(id)).find((r) => r.mode === 'apply' && r.status === 'done')!;
    const undone = await runCli(['undo', done.runId, '--control-schema', rig.box.controlSchema, '--yes'], {
      env: runnerEnv,
    });
    expect(undone.code, undone.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.damaged);
  }

  async function runnerThreads(): Promise<{ id: string; inTrx: boolean }[]> {
    const r = await sql<{ id: string; trx: string | null }>`
      SELECT p.ID AS id, t.trx_id AS trx FROM information_schema.PROCESSLIST p
      LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = p.ID
      WHERE p.USER = ${runnerUser}`.execute(admin.db);
    return r.rows.map((row) => ({ id: String(row.id), inTrx: row.trx !== null }));
  }

  it('KILL CONNECTION of a runner session at random moments: never partial, clear error, resumable', async () => {
    const rand = prng(SCALE.seed);
    const started = Date.now();
    expect((await apply()).code).toBe(0);
    const duration = Date.now() - started;
    await rig.reset();
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      await rig.reset();
      const child = startCli(['apply', MODULE_ID, ...rig.common(), '--yes'], { env: runnerEnv });
      await child.waitForStderr(/\(run \d+\)/);
      await sleep(rand() * duration * 0.8);
      const threads = await runnerThreads();
      const inTrx = threads.filter((t) => t.inTrx);
      // Half the time the transaction's own session, else any of the runner's sessions.
      const pool = i % 2 === 0 && inTrx.length ? inTrx : threads;
      const victim = pool[Math.floor(rand() * pool.length)];
      if (victim)
        await sql
          .raw(`KILL CONNECTION ${victim.id}`)
          .execute(admin.db)
          .catch(() => undefined);
      const result = await child.done;
      const state = await rig.liveState();
      expect([rig.damaged, rig.pristine]).toContain(state);
      if (result.code !== 0) {
        // A clean failure: one readable error line, no stack trace, nothing half-written.
        expect(`${result.stdout}${result.stderr}`).toMatch(/connection|closed|killed|interrupted/i);
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }
      outcomes.push(`${victim?.inTrx ? 'trx session' : 'other session'} → exit ${result.code}`);
      await resumeThenUndo();
    }
    console.log(`kill-connection outcomes:\n  ${outcomes.join('\n  ')}`);
  }, 600_000);

  it('KILL of the session holding the module lock: the run stops before its commit instead of going on unlocked', async () => {
    const child = startCli(['apply', PAUSE_ID, ...rig.common(), '--yes'], { env: runnerEnv });
    await child.waitForStderr(/transaction restore …/);
    const name = lockName(rig.box.target, rig.box.controlSchema, `module:${PAUSE_ID}`);
    const holder = await sql<{ id: string | null }>`SELECT IS_USED_LOCK(${name}) AS id`.execute(admin.db);
    expect(holder.rows[0]?.id).not.toBeNull();
    await sql.raw(`KILL CONNECTION ${holder.rows[0]!.id}`).execute(admin.db);
    // From here another apply of the module could take the lock: this run must not commit any more.
    const result = await child.done;
    expect(result.code, result.stderr).toBe(4);
    const run = (await runs(PAUSE_ID))[0];
    expect(run?.status).toBe('failed');
    expect(run?.error).toMatch(/lost the lock/);
    expect(result.stderr).toMatch(/failed\s+transaction restore: .*lost the lock/);
    expect(await rig.liveState()).toBe(rig.damaged);
    await resumeThenUndo(PAUSE_ID);
  }, 180_000);

  it('a server restart mid-run: never partial, clear error, interrupted, resumable', async () => {
    const outcomes: string[] = [];
    for (const moment of [/scope damaged-users …/, /snapshot before …/, /transaction restore …/]) {
      await rig.reset();
      const child = startCli(['apply', MODULE_ID, ...rig.common(), '--yes'], { env: runnerEnv });
      await child.waitForStderr(moment);
      await server.restart();
      const result = await child.done;
      expect([rig.damaged, rig.pristine], `restart at ${moment}`).toContain(await rig.liveState());
      if (result.code !== 0) {
        expect(result.stderr).toMatch(
          /^rowback: .*(connection|closed|server|ECONNRESET|ECONNREFUSED|PROTOCOL)/im,
        );
        expect(result.stderr).not.toMatch(/^\s+at /m);
      }
      const latest = (await settledRuns())[0];
      expect(['interrupted', 'failed', 'done']).toContain(latest?.status);
      outcomes.push(`${moment.source} → exit ${result.code}, ledger ${latest?.status}`);
      await resumeThenUndo();
    }
    console.log(`server-restart outcomes:\n  ${outcomes.join('\n  ')}`);
  }, 600_000);

  it('a row lock held by another session: lock-wait timeout fails the run cleanly with a clear error', async () => {
    const other = await rig.box.target.reconnect();
    try {
      await other.db.connection().execute(async (held) => {
        const child = startCli(['apply', PAUSE_ID, ...rig.common(), '--yes'], { env: runnerEnv });
        // Taken while the transaction pauses holding wp_users, before it reaches wp_usermeta.
        await child.waitForStderr(/transaction restore …/);
        await sleep(500);
        await sql`BEGIN`.execute(held);
        await sql`SELECT * FROM wp_usermeta WHERE user_id = ${USERS} FOR UPDATE`.execute(held);
        const result = await child.done;
        await sql`ROLLBACK`.execute(held);
        expect(result.code, result.stderr).toBe(1);
        const run = (await runs(PAUSE_ID))[0];
        expect(run?.status).toBe('failed');
        expect(run?.error).toMatch(/Lock wait timeout exceeded/);
        expect(result.stderr).toMatch(/failed\s+transaction restore: .*Lock wait timeout exceeded/);
      });
    } finally {
      await other.close();
    }
    expect(await rig.liveState()).toBe(rig.damaged);
    await resumeThenUndo(PAUSE_ID);
  }, 180_000);

  it('a deadlock with another session: one side is chosen as victim; never partial', async () => {
    const other = await rig.box.target.reconnect();
    let otherError = '';
    let result: Awaited<ReturnType<typeof apply>> | undefined;
    try {
      await other.db.connection().execute(async (held) => {
        const child = startCli(['apply', PAUSE_ID, ...rig.common(), '--yes'], { env: runnerEnv });
        // Taken while the transaction pauses holding wp_users, before it reaches wp_usermeta.
        await child.waitForStderr(/transaction restore …/);
        await sleep(500);
        await sql`BEGIN`.execute(held);
        // Holds a usermeta row the restore deletes after it has locked every scoped wp_users row…
        await sql`SELECT * FROM wp_usermeta WHERE user_id = ${USERS} FOR UPDATE`.execute(held);
        // …waits until the runner's transaction waits for it…
        for (let i = 0; i < 200; i++) {
          const waiting = await sql<{ n: string }>`
            SELECT COUNT(*) AS n FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'`.execute(
            admin.db,
          );
          if (Number(waiting.rows[0]?.n) > 0) break;
          await sleep(10);
        }
        // …then asks for a wp_users row the runner holds: a cycle.
        await sql`UPDATE wp_users SET display_name = display_name WHERE ID = 1`
          .execute(held)
          .catch((e: Error) => {
            otherError = e.message;
          });
        await sql`ROLLBACK`.execute(held).catch(() => undefined);
        result = await child.done;
      });
    } finally {
      await other.close();
    }
    const state = await rig.liveState();
    console.log(`deadlock: runner exit ${result?.code}, other session: ${otherError || 'no error'}`);
    expect(`${otherError} ${result?.stderr}`).toMatch(/Deadlock/);
    if (result?.code === 0) expect(state).toBe(rig.pristine);
    else {
      expect(result?.stderr).toMatch(/failed\s+transaction restore: .*Deadlock/);
      expect(state).toBe(rig.damaged);
    }
    await resumeThenUndo(PAUSE_ID);
  }, 180_000);
});
