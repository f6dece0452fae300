import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { defineRestore, fromSchema, type RestoreModule, sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { z } from 'zod';
import { REPO_ROOT } from '../support/run-cli.ts';

/** Users in the cluster tests' live table; every third one is damaged (100 of 300). */
export const USERS = 300;
export const DAMAGED = USERS / 3;

const numbers = (n: number) =>
  `WITH RECURSIVE n (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < ${n}) SELECT seq FROM n`;

export interface LimitsRig {
  readonly box: Sandbox;
  readonly backupSchema: string;
  /** Damages the live table again and forgets every run (fresh ledger and workspace). */
  reset(): Promise<void>;
}

/** A sandbox on the server at `url` (a cluster member or primary), with wp_users and its backup. */
export async function createLimitsRig(url: string): Promise<LimitsRig> {
  const box = await createSandbox({ url }, { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')] });
  const backupSchema = box.schemaName('backup');
  await box.load({
    sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          SELECT seq, CONCAT('u', seq), 'x', CONCAT('u', seq), CONCAT('u', seq, '@example.org'), '2024-01-01 00:00:00', CONCAT('User ', seq)
          FROM (${numbers(USERS)}) AS s`,
  });
  await box.load({ sql: `CREATE DATABASE \`${backupSchema}\`` });
  await box.load({ sql: `CREATE TABLE \`${backupSchema}\`.wp_users LIKE wp_users` });
  await box.load({ sql: `INSERT INTO \`${backupSchema}\`.wp_users SELECT * FROM wp_users` });
  const reset = async () => {
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.controlSchema}\`` });
    await box.load({ sql: `DROP DATABASE IF EXISTS \`${box.workspaceSchema}\`` });
    await box.load({
      sql: `UPDATE wp_users l JOIN \`${backupSchema}\`.wp_users b USING (ID) SET l.user_email = b.user_email, l.display_name = b.display_name`,
    });
    await box.load({ sql: "UPDATE wp_users SET user_email = CONCAT('bad', ID) WHERE ID % 3 = 0" });
  };
  await reset();
  return { box, backupSchema, reset };
}

export interface ModuleHooks {
  /** Chunk size; without it the restore is one transaction. */
  readonly chunk?: number;
  /**
   * Runs inside the transaction after its write, before COMMIT. `call` counts the transaction body's
   * runs: 1 is the first chunk's first attempt; a retried attempt or the next chunk is the next call.
   */
  readonly inTransaction?: (call: number) => Promise<void>;
  /** Runs after the restore committed, before the run's final agreement check. */
  readonly afterRestore?: () => Promise<void>;
}

/** Replaces the damaged users from the backup (a fromSchema extract, scope, snapshot, replace). */
export function limitsModule(rig: LimitsRig, hooks: ModuleHooks = {}): RestoreModule {
  let calls = 0;
  return defineRestore({
    id: '20261204-cluster-limits',
    title: 'cluster limits',
    params: z.object({}),
    async run(r) {
      const backup = await r.extract('backup', fromSchema(rig.backupSchema, { tables: ['wp_users'] }));
      const users = await r.scope(
        'damaged',
        sql`SELECT l.ID FROM wp_users l JOIN ${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)`,
        { key: 'ID', keyFrom: 'wp_users', expect: { rows: DAMAGED } },
      );
      await r.snapshot('before', ['wp_users'], { scope: users });
      await r.transaction(
        'restore',
        async (tx) => {
          await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
          calls += 1;
          await hooks.inTransaction?.(calls);
        },
        hooks.chunk ? { chunk: { scope: users, size: hooks.chunk } } : {},
      );
      await hooks.afterRestore?.();
    },
  });
}

/** IDs of users whose email is still damaged, on the server `target` is connected to. */
export async function damagedIds(target: { readonly db: Kysely<any> }): Promise<number[]> {
  const r = await sql<{
    ID: string;
  }>`SELECT ID FROM wp_users WHERE user_email LIKE 'bad%' ORDER BY ID`.execute(target.db);
  return r.rows.map((row) => Number(row.ID));
}
