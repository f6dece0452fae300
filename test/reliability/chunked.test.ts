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

/**
 * Stops the run inside chunk `n`, however fast or slow the machine: a shared lock on the first user
 * of chunk n (keys (n-1)*CHUNK+1 … n*CHUNK). The extract, scope and snapshot read that row without
 * conflict (shared with shared), chunks before n never touch it, and chunk n's FOR UPDATE waits for it
 * until `release()`. `waiting()` resolves with the session id of the run once it waits there.
 */
async function holdChunk(
  n: number,
  run: { done: Promise<{ code: number | null; stderr: string }> },
): Promise<{ waiting(): Promise<string>; release(): Promise<void> }> {
  const held = Promise.withResolvers<void>();
  const released = Promise.withResolvers<void>();
  const holder = rig.box.target.db.transaction().execute(async (trx) => {
    await sql`SELECT ID FROM wp_users WHERE ID = ${(n - 1) * CHUNK + 1} LOCK IN SHARE MODE`.execute(trx);
    held.resolve();
    await released.promise;
  });
  holder.catch(held.reject);
  await held.promise;
  let ended = false;
  const runEnded = run.done.then((r) => {
    ended = true;
    throw new Error(`the run ended (exit ${r.code}) before chunk ${n} waited for its lock:\n${r.stderr}`);
  });
  runEnded.catch(() => undefined);
  const waiter = async (): Promise<string> => {
    // Polls a state (a lock wait that lasts until release), not a moment: no timing to win or lose.
    while (!ended) {
      // Either InnoDB shows the run's session waiting, or the session runs a statement on chunk n's own
      // work tables (`…_restore_<n>__…`): MariaDB lists no INNODB_TRX row (so no LOCK WAIT) for a
      // transaction that has only read so far, which is where chunk n's first statement waits. Both
      // are states that last until release(): chunk n must change the held row to commit.
      const trx = await sql<{ id: string }>`
        SELECT t.trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX t
        JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
        WHERE p.USER = ${runnerUser} AND t.trx_state = 'LOCK WAIT'
        UNION ALL
        SELECT p.ID AS id FROM information_schema.PROCESSLIST p
        WHERE p.USER = ${runnerUser} AND p.COMMAND = 'Query' AND p.INFO LIKE ${String.raw`%\_restore\_` + n + String.raw`\_\_%`}`.execute(
        rig.box.target.db,
      );
      const id = trx.rows[0]?.id;
      if (id) return String(id);
      await sleep(20);
    }
    return '';
  };
  return {
    waiting: () => Promise.race([waiter(), runEnded]),
    release: async () => {
      released.resolve();
      await holder;
    },
  };
}

describe('chunked transactions', () => {
  it('killed mid-way: whole chunks only, --resume starts at the first unfinished chunk, reports count chunks', async () => {
    for (const killAfter of [1, 3]) {
      await rig.reset();
      const child = startCli(['apply', MODULE_ID, ...rig.common(), '--yes'], { env: runnerEnv });
      const lock = await holdChunk(killAfter + 1, child);
      try {
        await lock.waiting();
        // Killed while chunk killAfter + 1 is in the middle of its writes.
        child.kill('SIGKILL');
        await child.done;
      } finally {
        await lock.release();
      }
      const committed = await chunkSteps();
      expect(committed).toEqual(Array.from({ length: killAfter }, (_, i) => `restore#${i + 1}`));
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
    // Chunk 3's session is killed while it waits inside its transaction.
    const lock = await holdChunk(3, child);
    try {
      await sql.raw(`KILL CONNECTION ${await lock.waiting()}`).execute(rig.box.target.db);
    } finally {
      await lock.release();
    }
    const result = await child.done;
    expect(result.code, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout);
    const committed = await chunkSteps();
    expect(committed).toEqual(['restore#1', 'restore#2']);
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
