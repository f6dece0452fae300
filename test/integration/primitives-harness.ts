import { readFile } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import {
  type ArtifactRecord,
  openWorkspace,
  quoteId,
  readTableMetadata,
  TableRef,
  type Workspace,
  type WriteContext,
} from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { inject } from 'vitest';

/** A WordPress live schema with users and usermeta, a workspace, and a backup taken before damage. */
export interface WordPressBed {
  readonly box: Sandbox;
  readonly workspace: Workspace;
  live(table: string): TableRef;
  /** Copies a live table into the workspace as `backup__<table>` (what fromSchema would do). */
  backup(table: string): Promise<TableRef>;
  exec(text: string): Promise<void>;
  checksums(...tables: string[]): Promise<Record<string, string>>;
  close(): Promise<void>;
}

export async function wordpressBed(
  fixtures: readonly string[] = ['fixtures/wordpress/schema.sql'],
): Promise<WordPressBed> {
  const box = await createSandbox({ url: inject('mysqlUrl') });
  // WordPress's zero-date defaults load only without NO_ZERO_DATE; like WordPress, relax the session
  // that loads them. The primitives then run under the server's own sql_mode, however strict.
  for (const file of fixtures) {
    await box.load({
      sql: `SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO';\n${await readFile(file, 'utf8')}`,
    });
  }
  const workspace = await openWorkspace(box.target, { schema: box.schemaName('ws') });
  const live = (table: string) => new TableRef(box.schema, table);
  const exec = async (text: string) => {
    await box.target.db.connection().execute(async (c) => {
      await sql`SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO'`.execute(c);
      await sql.raw(text).execute(c);
    });
  };
  return {
    box,
    workspace,
    live,
    exec,
    async backup(table: string) {
      const copy = workspace.table(`backup__${table}`);
      await sql.raw(`CREATE TABLE ${copy.qualified} LIKE ${live(table).qualified}`).execute(box.target.db);
      // Explicit columns: SELECT * would silently drop invisible columns.
      const meta = await readTableMetadata(box.target.db, live(table));
      const columns = meta.columns
        .filter((c) => !c.generated)
        .map((c) => quoteId(c.name))
        .join(', ');
      await exec(
        `INSERT INTO ${copy.qualified} (${columns}) SELECT ${columns} FROM ${live(table).qualified}`,
      );
      return copy;
    },
    async checksums(...tables: string[]) {
      const out: Record<string, string> = {};
      for (const t of tables) out[t] = await box.checksum(t);
      return out;
    },
    async close() {
      await box.drop();
    },
  };
}

/** Seeds `n` users with 4 usermeta rows each (umeta_id = user * 10 + i). */
export async function seedUsers(bed: WordPressBed, n: number): Promise<void> {
  const users = [];
  const meta = [];
  for (let id = 1; id <= n; id++) {
    users.push(
      `(${id}, 'user${id}', 'hash${id}', 'user-${id}', 'user${id}@example.org', '', '2020-01-0${(id % 9) + 1} 10:00:00', '', 0, 'User ${id}')`,
    );
    meta.push(`(${id * 10 + 1}, ${id}, 'first_name', 'First${id}')`);
    meta.push(`(${id * 10 + 2}, ${id}, 'last_name', 'Last${id}')`);
    meta.push(`(${id * 10 + 3}, ${id}, 'nickname', 'nick${id}')`);
    meta.push(`(${id * 10 + 4}, ${id}, 'wp_capabilities', 'a:1:{s:10:"subscriber";b:1;}')`);
  }
  await bed.exec(
    `INSERT INTO ${bed.live('wp_users').qualified} (ID, user_login, user_pass, user_nicename, user_email, user_url, user_registered, user_activation_key, user_status, display_name) VALUES ${users.join(', ')}`,
  );
  await bed.exec(
    `INSERT INTO ${bed.live('wp_usermeta').qualified} (umeta_id, user_id, meta_key, meta_value) VALUES ${meta.join(', ')}`,
  );
}

export interface TxOutcome<T> {
  readonly value: T;
  readonly artifacts: readonly { step: string; artifact: ArtifactRecord }[];
}

/**
 * Runs `fn` like the runner does: a pinned connection with an open transaction, the pool for DDL,
 * committed in apply mode and rolled back in plan mode (or when `fn` throws).
 */
export async function inTransaction<T>(
  bed: WordPressBed,
  stepName: string,
  mode: 'plan' | 'apply',
  fn: (ctx: WriteContext, tx: Kysely<any>) => Promise<T>,
): Promise<TxOutcome<T>> {
  const artifacts: { step: string; artifact: ArtifactRecord }[] = [];
  const target = bed.box.target;
  const value = await target.db.connection().execute(async (tx) => {
    await sql`START TRANSACTION`.execute(tx);
    try {
      const ctx: WriteContext = {
        tx,
        ddl: target.db,
        server: target.server,
        liveSchema: bed.box.schema,
        workspace: bed.workspace,
        recorder: { record: async (step, artifact) => void artifacts.push({ step, artifact }) },
        stepName,
        mode,
      };
      const result = await fn(ctx, tx);
      await sql.raw(mode === 'apply' ? 'COMMIT' : 'ROLLBACK').execute(tx);
      return result;
    } catch (error) {
      await sql`ROLLBACK`.execute(tx).catch(() => undefined);
      throw error;
    }
  });
  return { value, artifacts };
}

export const q = quoteId;
