import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { defineRestore, fromBinlog, type RevertConflictPolicy, sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../support/run-cli.ts';
import { type BinlogServer, startBinlogServer } from './binlog-helpers.ts';

const numbers = (n: number) =>
  `WITH RECURSIVE n (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < ${n}) SELECT seq FROM n`;

describe('tx.revert: three-way restore from the binary log', () => {
  let log: BinlogServer;
  let box: Sandbox;
  let side: string;
  let window: { start: { file: string; position: number }; stop: { file: string; position: number } };

  beforeAll(async () => {
    log = await startBinlogServer();
    box = await createSandbox(
      { url: log.server.url },
      { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')] },
    );
    side = box.schemaName('side');
    await box.load({
      sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
            SELECT seq, CONCAT('u', seq), 'x', CONCAT('u', seq), CONCAT('u', seq, '@example.org'), '2024-01-01 00:00:00', CONCAT('User ', seq)
            FROM (${numbers(300)}) AS s`,
    });
    await box.load({ sql: `CREATE DATABASE \`${side}\`` });
    await box.load({ sql: `CREATE TABLE \`${side}\`.truth LIKE wp_users` });
    await box.load({ sql: `INSERT INTO \`${side}\`.truth SELECT * FROM wp_users` });
    const start = await log.position();
    // The incident: a bad UPDATE of 100 users, a stray insert and a delete.
    await box.load({
      sql: "UPDATE wp_users SET user_email = CONCAT('bad', ID, '@x'), display_name = 'BAD' WHERE ID % 3 = 0",
    });
    await box.load({
      sql: "INSERT INTO wp_users (ID, user_login, user_email) VALUES (1000, 'stray', 'stray@x')",
    });
    await box.load({ sql: 'DELETE FROM wp_users WHERE ID = 9' });
    const stop = await log.position();
    window = { start, stop };
    // Later, legitimate changes: two of the damaged users (3, 6) and one outside the damage (1).
    await box.load({ sql: "UPDATE wp_users SET user_email = 'fixed-by-hand@example.org' WHERE ID = 3" });
    await box.load({ sql: "UPDATE wp_users SET user_url = 'https://six.example' WHERE ID = 6" });
    await box.load({ sql: "UPDATE wp_users SET display_name = 'Renamed 1' WHERE ID = 1" });
    await box.load({ sql: `CREATE TABLE \`${side}\`.state LIKE wp_users` });
    await box.load({ sql: `INSERT INTO \`${side}\`.state SELECT * FROM wp_users` });
  });
  afterAll(async () => {
    await box?.drop();
    await log?.stop();
  });
  beforeEach(async () => {
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.workspaceSchema}\`` });
    await box.load({ sql: 'DELETE FROM wp_users' });
    await box.load({ sql: `INSERT INTO wp_users SELECT * FROM \`${side}\`.state` });
  });

  const restore = defineRestore({
    id: '20261204-binlog-revert-test',
    title: 'revert the bad UPDATE from the binary log',
    params: z.object({ onConflict: z.enum(['fail', 'skip', 'overwrite']) }),
    async run(r, p) {
      const logged = await r.extract('log', fromBinlog({ tables: ['wp_users'], ...window }));
      const users = await r.scope('changed-users', sql`SELECT ID FROM ${logged.changes('wp_users')}`, {
        key: 'ID',
        keyFrom: 'wp_users',
        expect: { rows: 101 },
      });
      await r.transaction('revert', async (tx) => {
        await tx.revert('wp_users', {
          from: logged,
          scope: users,
          onConflict: p.onConflict as RevertConflictPolicy,
        });
      });
    },
  });

  const rows = async (where: string) =>
    (
      await sql
        .raw<Record<string, unknown>>(
          `SELECT ID, user_email, display_name, user_url FROM wp_users WHERE ${where} ORDER BY ID`,
        )
        .execute(box.target.db)
    ).rows;
  const truth = async (where: string) =>
    (
      await sql
        .raw<Record<string, unknown>>(
          `SELECT ID, user_email, display_name, user_url FROM \`${side}\`.truth WHERE ${where} ORDER BY ID`,
        )
        .execute(box.target.db)
    ).rows;

  it("onConflict 'fail' stops before any write and names the rows changed after the window, field by field", async () => {
    const before = await box.checksum('wp_users');
    const report = await box.apply(restore, { onConflict: 'fail' });
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ name: 'RevertConflictError' });
    // User 3's e-mail, which the window wrote, was changed again: a conflict. User 6's later change is
    // to a column the window never wrote (user_url): not one.
    expect(report.error?.message).toMatch(/1 scoped row\(s\) changed again after the binlog window/);
    expect(report.error?.message).toMatch(
      /ID=3 \(user_email: window wrote "bad3@x", live has "fixed-by-hand@example.org"\)/,
    );
    expect(report.error?.message).not.toMatch(/ID=6/);
    expect(await box.checksum('wp_users')).toBe(before);
  });

  it("keeps every scoped live row locked from the conflict check to the write: a later change cannot slip in between and dodge 'fail'", async () => {
    // Under READ COMMITTED InnoDB drops the locks of rows a locking read's WHERE rejects; a check that
    // counted only conflicting rows left every row it was about to revert open to other sessions.
    let later = '';
    const contended = defineRestore({
      id: '20261204-binlog-revert-locks',
      title: 'revert while another session tries to change a damaged row',
      async run(r) {
        const logged = await r.extract('log', fromBinlog({ tables: ['wp_users'], ...window }));
        const users = await r.scope(
          'damaged-users',
          sql`SELECT ID FROM ${logged.changes('wp_users')} WHERE ID <> 3`,
          { key: 'ID', keyFrom: 'wp_users', expect: { rows: 100 } },
        );
        await r.transaction('revert', async (tx) => {
          const holder = await createConnection(log.server.url);
          const other = await createConnection(log.server.url);
          try {
            // The revert records its work tables in the ledger right after its check: hold it there.
            await holder.query(`LOCK TABLES \`${box.controlSchema}\`.artifacts WRITE`);
            const reverting = tx.revert('wp_users', { from: logged, scope: users, onConflict: 'fail' });
            reverting.catch(() => undefined);
            for (;;) {
              const [waiting] = await other.query(
                "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE = 'Waiting for table metadata lock' AND INFO LIKE '%artifacts%'",
              );
              if (Number((waiting as { n: number }[])[0]?.n) > 0) break;
              await new Promise((resolve) => setImmediate(resolve));
            }
            await other.query('SET SESSION innodb_lock_wait_timeout = 1');
            later = await other
              .query(`UPDATE \`${box.schema}\`.wp_users SET display_name = 'LATER' WHERE ID = 12`)
              .then(
                () => 'updated',
                (e: { code?: string }) => e.code ?? 'error',
              );
            await holder.query('UNLOCK TABLES');
            await reverting;
          } finally {
            await holder.end();
            await other.end();
          }
        });
      },
    });
    const report = await box.apply(contended, {});
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(later).toBe('ER_LOCK_WAIT_TIMEOUT');
    expect(await rows('ID = 12')).toEqual(await truth('ID = 12'));
  });

  it('a key the window deleted, inserted again by another session after the conflict check, is not overwritten: the revert fails naming it', async () => {
    // Under READ COMMITTED a missing key takes no gap lock, so the check's locking read cannot hold
    // the absence of user 9 (the window deleted it); the re-insert must be a plain INSERT, never an
    // update of whatever row holds that key by the time the write runs.
    const contended = defineRestore({
      id: '20261204-binlog-revert-reinsert',
      title: 'revert while another session inserts a deleted user again',
      async run(r) {
        const logged = await r.extract('log', fromBinlog({ tables: ['wp_users'], ...window }));
        const users = await r.scope(
          'damaged-users',
          sql`SELECT ID FROM ${logged.changes('wp_users')} WHERE ID <> 3`,
          { key: 'ID', keyFrom: 'wp_users', expect: { rows: 100 } },
        );
        await r.transaction('revert', async (tx) => {
          const holder = await createConnection(log.server.url);
          const other = await createConnection(log.server.url);
          try {
            // The revert records its work tables in the ledger right after its check: hold it there.
            await holder.query(`LOCK TABLES \`${box.controlSchema}\`.artifacts WRITE`);
            const reverting = tx.revert('wp_users', { from: logged, scope: users, onConflict: 'fail' });
            reverting.catch(() => undefined);
            for (;;) {
              const [waiting] = await other.query(
                "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE STATE = 'Waiting for table metadata lock' AND INFO LIKE '%artifacts%'",
              );
              if (Number((waiting as { n: number }[])[0]?.n) > 0) break;
              await new Promise((resolve) => setImmediate(resolve));
            }
            await other.query(
              `INSERT INTO \`${box.schema}\`.wp_users (ID, user_login, user_email, display_name) VALUES (9, 'newcomer', 'new9@example.org', 'Newcomer')`,
            );
            await holder.query('UNLOCK TABLES');
            await reverting;
          } finally {
            await holder.end();
            await other.end();
          }
        });
      },
    });
    const report = await box.apply(contended, {});
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ name: 'RevertConflictError' });
    expect(report.error?.message).toMatch(/ID=9/);
    // The newcomer stays as inserted, and no other row was written (the transaction rolled back).
    expect(await rows('ID = 9')).toEqual([
      { ID: '9', user_email: 'new9@example.org', display_name: 'Newcomer', user_url: '' },
    ]);
    const state = await sql
      .raw<Record<string, unknown>>(`SELECT * FROM \`${side}\`.state ORDER BY ID`)
      .execute(box.target.db);
    const live = await sql
      .raw<Record<string, unknown>>('SELECT * FROM wp_users WHERE ID <> 9 ORDER BY ID')
      .execute(box.target.db);
    expect(live.rows).toEqual(state.rows);
  });

  it("onConflict 'skip' reverts cell by cell, keeps every later change, and undo puts the live rows back", async () => {
    const before = await box.checksum('wp_users');
    const report = await box.apply(restore, { onConflict: 'skip' });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    // Reverted: the damaged users but 3 and 6, the deleted 9 back, the stray 1000 gone.
    const reverted = 'ID % 3 = 0 AND ID NOT IN (3, 6)';
    expect(await rows(reverted)).toEqual(await truth(reverted));
    expect(await rows('ID = 1000')).toEqual([]);
    // User 3: the later e-mail kept, the window's display_name reverted. User 6: both cells the window
    // wrote reverted, the later user_url kept. User 1, outside the damage: its later change kept.
    expect(await rows('ID IN (1, 3, 6)')).toEqual([
      { ID: '1', user_email: 'u1@example.org', display_name: 'Renamed 1', user_url: '' },
      { ID: '3', user_email: 'fixed-by-hand@example.org', display_name: 'User 3', user_url: '' },
      { ID: '6', user_email: 'u6@example.org', display_name: 'User 6', user_url: 'https://six.example' },
    ]);
    const step = report.steps.find((s) => s.name === 'revert')!;
    expect(step.operations?.[0]).toMatchObject({ kind: 'revert', deleted: 1, inserted: 1, updated: 99 });
    expect(report.warnings.join('\n')).toMatch(
      /1 row\(s\) changed after the window: their later values were kept/,
    );
    const undone = await box.undo(report.runId!);
    expect(undone.status).toBe('done');
    expect(await box.checksum('wp_users')).toBe(before);
  });

  it("onConflict 'overwrite' puts every before-image back, the later changes to damaged rows included", async () => {
    const report = await box.apply(restore, { onConflict: 'overwrite' });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    // Every cell the window wrote is back; user 6's later user_url is not one of them and stays.
    expect(await rows('ID % 3 = 0 AND ID <> 6')).toEqual(await truth('ID % 3 = 0 AND ID <> 6'));
    expect(await rows('ID = 6')).toEqual([
      { ID: '6', user_email: 'u6@example.org', display_name: 'User 6', user_url: 'https://six.example' },
    ]);
    expect(await rows('ID = 1')).toEqual([
      { ID: '1', user_email: 'u1@example.org', display_name: 'Renamed 1', user_url: '' },
    ]);
  });

  it('plan shows what the revert would write (the drift profile against the before-images) and changes nothing', async () => {
    const before = await box.checksum('wp_users');
    const report = await box.plan(restore, { onConflict: 'skip' });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    const profile = report.driftProfiles.find((p) => p.table === 'wp_users')!;
    expect(profile.columns.find((c) => c.column === 'display_name')?.differing).toBeGreaterThanOrEqual(99);
    expect(await box.checksum('wp_users')).toBe(before);
  });
});
