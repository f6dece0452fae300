import { join } from 'node:path';
import {
  copyRows,
  defineRestore,
  fromSchema,
  type RestoreContext,
  readClusterTopology,
  sql,
  TableRef,
  undo,
} from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../support/run-cli.ts';

/**
 * Issue 14 items 3 and 4 on one standalone server: what needs no cluster — topology detection,
 * chunked undo (reverse order, resumable), the plan/apply drift check per chunk, the throttle's
 * clean stop and resume, and the chunked copy that keeps statements within a writeset limit.
 */
let box: Sandbox;
let backupSchema: string;
const USERS = 300;
const numbers = (n: number) =>
  `WITH RECURSIVE n (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < ${n}) SELECT seq FROM n`;

beforeAll(async () => {
  box = await createSandbox(
    { url: inject('mysqlUrl') },
    { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')] },
  );
  backupSchema = box.schemaName('backup');
  await box.load({
    sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          SELECT seq, CONCAT('u', seq), 'x', CONCAT('u', seq), CONCAT('u', seq, '@example.org'), '2024-01-01 00:00:00', CONCAT('User ', seq)
          FROM (${numbers(USERS)}) AS s`,
  });
  await box.load({ sql: `CREATE DATABASE \`${backupSchema}\`` });
  await box.load({ sql: `CREATE TABLE \`${backupSchema}\`.wp_users LIKE wp_users` });
  await box.load({ sql: `INSERT INTO \`${backupSchema}\`.wp_users SELECT * FROM wp_users` });
});
afterAll(async () => box?.drop());

beforeEach(async () => {
  await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
  await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.workspaceSchema}\`` });
  await box.load({
    sql: `UPDATE wp_users l JOIN \`${backupSchema}\`.wp_users b USING (ID) SET l.user_email = b.user_email, l.display_name = b.display_name`,
  });
  await box.load({ sql: "UPDATE wp_users SET user_email = CONCAT('bad', ID) WHERE ID % 3 = 0" });
});

/** Replaces the 100 damaged users in chunks of 30 (4 chunks: IDs 3..90, 93..180, 183..270, 273..300). */
const chunkedReplace = defineRestore({
  id: '20261204-cluster-limits-test',
  title: 'cluster limits test',
  params: z.object({}),
  async run(r: RestoreContext) {
    const backup = await r.extract('backup', fromSchema(backupSchema, { tables: ['wp_users'] }));
    const users = await r.scope(
      'damaged',
      sql`SELECT l.ID FROM wp_users l JOIN ${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)`,
      { key: 'ID', keyFrom: 'wp_users', expect: { rows: 100 } },
    );
    await r.transaction(
      'restore',
      async (tx) => {
        await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
      },
      { chunk: { scope: users, size: 30 } },
    );
  },
});

async function badEmails(): Promise<number[]> {
  const r = await sql<{
    ID: string;
  }>`SELECT ID FROM wp_users WHERE user_email LIKE 'bad%' ORDER BY ID`.execute(box.target.db);
  return r.rows.map((row) => Number(row.ID));
}

const range = (from: number, to: number) =>
  Array.from({ length: USERS }, (_, i) => i + 1).filter((id) => id % 3 === 0 && id >= from && id <= to);

describe('cluster topology on a standalone server', () => {
  it('finds no Galera, no Group Replication, a writable server; the target carries the same', async () => {
    const topology = await readClusterTopology(box.target.db, box.target.server.flavour);
    expect(topology).toMatchObject({
      galera: null,
      groupReplication: null,
      readOnly: false,
      superReadOnly: false,
      unreadable: null,
    });
    expect(box.target.topology.galera).toBeNull();
  });
});

describe('chunked undo', () => {
  it('puts chunks back newest first, one transaction each; stopped by a conflict it resumes where it stopped', async () => {
    const damaged = await box.checksum('wp_users');
    const applied = await box.apply(chunkedReplace, {});
    expect(applied.status, JSON.stringify(applied.error)).toBe('done');
    expect(await badEmails()).toEqual([]);
    // Someone edits a user of the first chunk after the apply: undo must not overwrite that silently.
    await box.load({ sql: "UPDATE wp_users SET display_name = 'edited' WHERE ID = 3" });
    const options = { confirm: true as const, controlSchema: box.controlSchema };
    const stopped = await undo(box.target, applied.runId!, options);
    expect(stopped.status).toBe('failed');
    expect(stopped.error?.name).toBe('UndoConflictError');
    expect(stopped.steps.map((s) => [s.name, s.status])).toEqual([
      ['undo restore#4', 'done'],
      ['undo restore#3', 'done'],
      ['undo restore#2', 'done'],
      ['undo restore#1', 'failed'],
    ]);
    expect(stopped.transactions[0]).toMatchObject({ atomic: false, chunks: 4, chunksCommitted: 3 });
    // Exactly chunks 2..4 are back to their pre-apply rows; chunk 1 still holds the restore.
    expect(await badEmails()).toEqual(range(93, 300));
    await box.load({ sql: "UPDATE wp_users SET display_name = 'User 3' WHERE ID = 3" });
    const resumed = await undo(box.target, applied.runId!, options);
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    expect(resumed.steps.map((s) => [s.name, s.status])).toEqual([
      ['undo restore#4', 'skipped'],
      ['undo restore#3', 'skipped'],
      ['undo restore#2', 'skipped'],
      ['undo restore#1', 'done'],
    ]);
    expect(await box.checksum('wp_users')).toBe(damaged);
    const again = await undo(box.target, applied.runId!, options).catch((e: Error) => e);
    expect((again as Error).message).toMatch(/was undone already/);
  });
});

describe('plan/apply drift check in chunked mode', () => {
  it('refuses the chunk whose scoped rows changed since the plan; the chunks before it are committed', async () => {
    const planned = await box.plan(chunkedReplace, {});
    expect(planned.status, JSON.stringify(planned.error)).toBe('done');
    // A damaged row of chunk 2 changes again (still damaged, so still in scope) after the plan.
    await box.load({ sql: "UPDATE wp_users SET user_email = 'bad-again' WHERE ID = 120" });
    const applied = await box.apply(chunkedReplace, {});
    expect(applied.status).toBe('failed');
    expect(applied.error?.name).toBe('DriftSincePlanError');
    expect(applied.steps.filter((s) => s.kind === 'chunk').map((s) => [s.name, s.status])).toEqual([
      ['restore#1', 'done'],
      ['restore#2', 'failed'],
    ]);
    expect(await badEmails()).toEqual(range(93, 300));
  });
});

describe('throttle', () => {
  it('waits before a chunk while a limit is exceeded, stops cleanly after its timeout, and --resume continues', async () => {
    const damaged = await box.checksum('wp_users');
    // Threads_running is never 0 (our own query runs), so this limit never holds.
    const stuck = await box.apply(
      chunkedReplace,
      {},
      { throttle: { maxThreadsRunning: 0, timeoutSeconds: 0.3, pollMs: 50 } },
    );
    expect(stuck.status).toBe('failed');
    expect(stuck.error?.name).toBe('ThrottleTimeoutError');
    expect(stuck.error?.message).toMatch(/before restore#1 .*Threads_running \d+ > 0/);
    expect(stuck.throttle?.pauses).toHaveLength(1);
    expect(stuck.throttle?.pauses[0]).toMatchObject({ before: 'restore#1' });
    expect(stuck.throttle!.pauses[0]!.waitedMs).toBeGreaterThanOrEqual(300);
    expect(await box.checksum('wp_users')).toBe(damaged);
    const resumed = await box.apply(
      chunkedReplace,
      {},
      { resume: true, throttle: { maxThreadsRunning: 1000 } },
    );
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    expect(resumed.throttle).toMatchObject({ pauses: [] });
    expect(await badEmails()).toEqual([]);
  });

  it('is off, and reported as null, when nothing is known to watch', async () => {
    const report = await box.apply(chunkedReplace, {});
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(report.throttle).toBeNull();
    expect(report.agreement).toEqual([]);
  });
});

describe('copyRows', () => {
  it('copies in keyset statements of a given size exactly what one statement copies (composite key, join, where)', async () => {
    const ws = box.schemaName('copy');
    await box.load({ sql: `CREATE DATABASE \`${ws}\`` });
    try {
      await box.load({
        sql: `CREATE TABLE \`${ws}\`.src (a INT NOT NULL, b VARCHAR(10) NOT NULL, v TEXT, PRIMARY KEY (a, b))`,
      });
      await box.load({
        sql: `INSERT INTO \`${ws}\`.src SELECT seq % 7, CONCAT('k', seq), REPEAT('x', seq) FROM (${numbers(200)}) AS s`,
      });
      await box.load({ sql: `CREATE TABLE \`${ws}\`.pick (a INT PRIMARY KEY)` });
      await box.load({ sql: `INSERT INTO \`${ws}\`.pick VALUES (1), (2), (4), (6)` });
      const src = new TableRef(ws, 'src');
      const copy = async (name: string, per: number | null) => {
        await box.load({ sql: `CREATE TABLE \`${ws}\`.${name} LIKE \`${ws}\`.src` });
        const into = new TableRef(ws, name);
        const rows = await copyRows(
          box.target.db,
          {
            into,
            columns: sql.raw('`a`, `b`, `v`'),
            select: sql.raw('`t`.`a`, `t`.`b`, `t`.`v`'),
            from: sql`${src} AS ${sql.id('t')} JOIN ${new TableRef(ws, 'pick')} AS ${sql.id('p')} ON p.a = t.a`,
            where: sql`LENGTH(t.v) > ${10}`,
            key: ['a', 'b'],
            qualifier: 't',
          },
          per,
        );
        const checksum = await sql<{ Checksum: string }>`CHECKSUM TABLE ${into}`.execute(box.target.db);
        return { rows, checksum: checksum.rows[0]?.Checksum };
      };
      const whole = await copy('whole', null);
      expect(whole.rows).toBeGreaterThan(50);
      for (const [i, per] of [7, 1, 1000].entries()) expect(await copy(`part${i}`, per)).toEqual(whole);
    } finally {
      await box.load({ sql: `DROP DATABASE IF EXISTS \`${ws}\`` });
    }
  });
});
