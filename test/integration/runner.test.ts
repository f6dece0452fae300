import { join } from 'node:path';
import { defineRestore, fromSchema, type RestoreContext, sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../support/run-cli.ts';

let box: Sandbox;
let backupSchema: string;
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
          FROM (${numbers(300)}) AS s`,
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
    sql: `UPDATE wp_users l JOIN \`${backupSchema}\`.wp_users b USING (ID) SET l.user_email = b.user_email`,
  });
  await box.load({ sql: "UPDATE wp_users SET user_email = CONCAT('bad', ID) WHERE ID % 3 = 0" });
});

type Body = (
  r: RestoreContext,
  backup: Awaited<ReturnType<RestoreContext['extract']>>,
  users: Awaited<ReturnType<RestoreContext['scope']>>,
) => Promise<void>;

function moduleWith(body: Body) {
  return defineRestore({
    id: '20261126-runner-test',
    title: 'runner test',
    params: z.object({}),
    async run(r) {
      const backup = await r.extract('backup', fromSchema(backupSchema, { tables: ['wp_users'] }));
      const users = await r.scope(
        'damaged',
        sql`SELECT l.ID FROM wp_users l JOIN ${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)`,
        { key: 'ID', keyFrom: 'wp_users', expect: { rows: 100 } },
      );
      await body(r, backup, users);
    },
  });
}

describe('runner', () => {
  it('a failed gate inside a transaction rolls everything back and the report names the step', async () => {
    const before = await box.checksum('wp_users');
    const restore = moduleWith(async (r, backup, users) => {
      await r.transaction('restore', async (tx) => {
        await tx.upsertColumns('wp_users', {
          from: backup.table('wp_users'),
          scope: users,
          columns: ['user_email'],
        });
        await tx.verify('impossible', sql`SELECT ID FROM wp_users`, { expect: { rows: 0 } });
      });
    });
    const report = await box.apply(restore, {});
    expect(report.status).toBe('failed');
    expect(report.error).toMatchObject({ name: 'GateError' });
    expect(report.error?.message).toMatch(/gate 'restore: impossible' expected = 0 rows, found 300/);
    const failed = report.steps.find((s) => s.name === 'restore')!;
    expect(failed.status).toBe('failed');
    expect(failed.operations.map((o) => o.kind)).toEqual(['upsertColumns', 'verify']);
    expect(await box.checksum('wp_users')).toBe(before);
  });

  it('commits per chunk, says it is not atomic, and resumes from the first unfinished chunk', async () => {
    let failOnChunk = 3;
    const restore = moduleWith(async (r, backup, users) => {
      await r.transaction(
        'restore',
        async (tx) => {
          await tx.upsertColumns('wp_users', {
            from: backup.table('wp_users'),
            scope: users,
            columns: ['user_email'],
          });
          const done = await tx.verify('count', sql`SELECT ID FROM wp_users WHERE user_email LIKE 'bad%'`, {
            expect: () => true,
          });
          // Fails once, in the third chunk: after the fix, resume must start at chunk 3.
          if (done === 100 - 3 * 25 && failOnChunk === 3) {
            failOnChunk = 0;
            throw new Error('injected failure in chunk 3');
          }
        },
        { chunk: { scope: users, size: 25 } },
      );
    });
    const first = await box.apply(restore, {});
    expect(first.status).toBe('failed');
    const committed = first.transactions.find((t) => t.name === 'restore')!;
    expect(committed).toMatchObject({ atomic: false, chunks: 4, chunksCommitted: 2 });
    const [{ n }] = (
      await sql<{ n: number }>`SELECT COUNT(*) AS n FROM wp_users WHERE user_email LIKE 'bad%'`.execute(
        box.target.db,
      )
    ).rows as [{ n: number }];
    expect(Number(n)).toBe(50);
    const resumed = await box.apply(restore, {}, { resume: true });
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    expect(resumed.steps.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual([
      'backup',
      'damaged',
      'restore#1',
      'restore#2',
    ]);
    const [{ m }] = (
      await sql<{ m: number }>`SELECT COUNT(*) AS m FROM wp_users WHERE user_email LIKE 'bad%'`.execute(
        box.target.db,
      )
    ).rows as [{ m: number }];
    expect(Number(m)).toBe(0);
  });

  it('warns in a plan and refuses in an apply a transaction above maxBytes, unless chunked', async () => {
    const before = await box.checksum('wp_users');
    const restore = moduleWith(async (r, backup, users) => {
      await r.transaction(
        'restore',
        async (tx) => {
          await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
        },
        { maxBytes: 1000 },
      );
    });
    const planned = await box.plan(restore, {});
    expect(planned.status).toBe('done');
    expect(planned.warnings.join('\n')).toMatch(/above the size limit of 1000 bytes/);
    const applied = await box.apply(restore, {});
    expect(applied.status).toBe('failed');
    expect(applied.error).toMatchObject({ name: 'SizeLimitError' });
    expect(await box.checksum('wp_users')).toBe(before);

    // The same writes and limit, chunked so each chunk (5 users, ~750 bytes) fits: each commits on its
    // own, so none is refused.
    const chunked = moduleWith(async (r, backup, users) => {
      await r.transaction(
        'restore',
        async (tx) => {
          await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
        },
        { maxBytes: 1000, chunk: { scope: users, size: 5 } },
      );
    });
    const chunkedPlan = await box.plan(chunked, {});
    expect(chunkedPlan.status).toBe('done');
    expect(chunkedPlan.warnings.join('\n')).not.toMatch(/size limit/);
    const chunkedApply = await box.apply(chunked, {});
    expect(chunkedApply.status, JSON.stringify(chunkedApply.error)).toBe('done');
    expect(chunkedApply.transactions.find((t) => t.name === 'restore')).toMatchObject({
      atomic: false,
      chunks: 20,
      chunksCommitted: 20,
    });
    const bad = await sql<{
      n: string;
    }>`SELECT COUNT(*) AS n FROM wp_users WHERE user_email LIKE 'bad%'`.execute(box.target.db);
    expect(Number(bad.rows[0]!.n)).toBe(0);
  });

  it('refuses an apply whose where-only purge would delete rows that changed since the plan', async () => {
    const restore = moduleWith(async (r) => {
      await r.transaction('restore', async (tx) => {
        await tx.purge('wp_users', { where: sql`ID = ${3}`, expect: { rows: 1 } });
      });
    });
    try {
      expect((await box.plan(restore, {})).status).toBe('done');
      // The row the purge matches changes after the plan; its count (the gate) does not.
      await box.load({ sql: "UPDATE wp_users SET display_name = 'changed after plan' WHERE ID = 3" });
      const before = await box.checksum('wp_users');
      const refused = await box.apply(restore, {});
      expect(refused.status).toBe('failed');
      expect(refused.error).toMatchObject({ name: 'DriftSincePlanError' });
      expect(refused.error?.message).toMatch(/live rows of wp_users changed since plan run \d+/);
      expect(await box.checksum('wp_users')).toBe(before);
      // Planned again, the same apply goes through.
      expect((await box.plan(restore, {})).status).toBe('done');
      const applied = await box.apply(restore, {});
      expect(applied.status, JSON.stringify(applied.error)).toBe('done');
      expect((await box.rows('wp_users')).some((u) => Number(u.ID) === 3)).toBe(false);
    } finally {
      await box.load({
        sql: `INSERT IGNORE INTO wp_users SELECT * FROM \`${backupSchema}\`.wp_users WHERE ID = 3`,
      });
    }
  });

  it('refuses duplicate step names', async () => {
    const restore = moduleWith(async (r) => {
      await r.verify('damaged', sql`SELECT 1`, { expect: { rows: 1 } });
    });
    const report = await box.plan(restore, {});
    expect(report.status).toBe('failed');
    expect(report.error?.message).toMatch(/step name "damaged" is used twice/);
  });
});
