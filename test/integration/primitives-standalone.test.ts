import {
  connect,
  diffTables,
  materializeScope,
  openWorkspace,
  quoteId,
  readTableMetadata,
  replaceChildren,
  replaceRows,
  sql,
  stageScopedRows,
  undoWrites,
} from 'rowback';
import { findServerBinary, startEphemeralServer } from 'rowback/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, seedUsers, type WordPressBed, wordpressBed } from './primitives-harness.ts';

let bed: WordPressBed;
beforeEach(async () => {
  bed = await wordpressBed();
  await seedUsers(bed, 12);
});
afterEach(async () => {
  await bed?.close();
});

const binary = await findServerBinary();

describe.skipIf(binary === null)('a workspace on a standalone server', () => {
  it('stages only the scoped backup rows next to live data, so the writes run unchanged', async () => {
    await using server = await startEphemeralServer(binary!);
    await using standalone = await connect(server.url);
    const remote = await openWorkspace(standalone, { schema: 'rb_standalone', live: bed.box.target });
    expect(remote.sameServer).toBe(false);

    // The backup lives on the standalone server (as a restored dump would), with an invisible and a
    // generated column, binary and zero-date values.
    const users = bed.live('wp_users');
    const meta = bed.live('wp_usermeta');
    const ddl = async (table: string) =>
      (
        await sql
          .raw<Record<string, string>>(`SHOW CREATE TABLE ${bed.live(table).qualified}`)
          .execute(bed.box.target.db)
      ).rows[0]!['Create Table']!.replace(
        /^CREATE TABLE `[^`]+`/,
        `CREATE TABLE ${remote.table(table).qualified}`,
      );
    await bed.exec(
      `ALTER TABLE ${meta.qualified} ADD COLUMN note VARBINARY(8) NULL INVISIBLE, ADD COLUMN key_len INT AS (LENGTH(meta_key)) VIRTUAL`,
    );
    await bed.exec(`UPDATE ${meta.qualified} SET note = 0x00FF WHERE user_id = 4`);
    await bed.exec(`UPDATE ${users.qualified} SET user_registered = '0000-00-00 00:00:00' WHERE ID = 4`);
    for (const table of ['wp_users', 'wp_usermeta']) {
      const statement = await ddl(table);
      await standalone.db.connection().execute(async (c) => {
        await sql`SET SESSION sql_mode = ''`.execute(c);
        await sql.raw(statement).execute(c);
      });
      const columns = (await readTableMetadata(bed.box.target.db, bed.live(table))).columns
        .filter((c) => !c.generated)
        .map((c) => c.name);
      const rows = await sql
        .raw<Record<string, unknown>>(
          `SELECT ${columns.map(quoteId).join(', ')} FROM ${bed.live(table).qualified}`,
        )
        .execute(bed.box.target.db);
      await standalone.db.connection().execute(async (c) => {
        await sql`SET SESSION sql_mode = ''`.execute(c);
        for (const row of rows.rows) {
          await sql`INSERT INTO ${remote.table(table)} (${sql.join(columns.map((n) => sql.id(n)))}) VALUES (${sql.join(columns.map((n) => row[n]))})`.execute(
            c,
          );
        }
      });
    }
    // Damage live after the "backup".
    await bed.exec(
      `UPDATE ${users.qualified} SET user_email = 'ep@x', user_registered = '2020-01-01 00:00:00' WHERE ID IN (4, 5)`,
    );
    await bed.exec(`UPDATE ${meta.qualified} SET meta_value = 'EP', note = NULL WHERE user_id IN (4, 5)`);
    const damaged = await bed.checksums('wp_users', 'wp_usermeta');

    // The scope query runs on live; its keys land in the standalone workspace.
    const scope = await materializeScope(
      remote,
      'users',
      sql`SELECT ID FROM wp_users WHERE user_email = ${'ep@x'}`,
      {
        key: 'ID',
        keyTypes: { ID: 'bigint(20) unsigned' },
        queryDb: bed.box.target.db,
        expect: { rows: 2 },
      },
    );
    const staged = await stageScopedRows(
      remote,
      bed.workspace,
      [remote.table('wp_users'), remote.table('wp_usermeta')],
      scope,
      {
        on: { wp_usermeta: 'user_id' },
        batchSize: 3,
      },
    );
    expect(staged.scope.table.schema).toBe(bed.workspace.schema);
    expect(staged.tables.map((t) => t.rows)).toEqual([2, 8]);
    const [stagedUsers, stagedMeta] = staged.tables.map((t) => t.table);

    const { value } = await inTransaction(bed, 'restore', 'apply', async (ctx) => [
      await replaceRows(ctx, 'wp_users', { from: stagedUsers!, scope: staged.scope }),
      await replaceChildren(ctx, 'wp_usermeta', {
        from: stagedMeta!,
        parentKey: 'user_id',
        scope: staged.scope,
      }),
    ]);
    expect(value.map((r) => r.updated)).toEqual([2, 8]);
    const db = bed.box.target.db;
    expect((await diffTables(db, meta, stagedMeta!, { scope: staged.scope, scopeOn: 'user_id' })).total).toBe(
      0,
    );
    const restored = await sql
      .raw<{ note: Buffer | null; user_registered: string }>(
        `SELECT m.note, u.user_registered FROM ${meta.qualified} m JOIN ${users.qualified} u ON u.ID = m.user_id WHERE m.umeta_id = 41`,
      )
      .execute(db);
    expect(restored.rows[0]).toEqual({ note: Buffer.from([0, 255]), user_registered: '0000-00-00 00:00:00' });
    await undoWrites(
      bed.box.target,
      null,
      value.map((r) => r.undo),
    );
    expect(await bed.checksums('wp_users', 'wp_usermeta')).toEqual(damaged);
  });
});
