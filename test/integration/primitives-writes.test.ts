import {
  diffTables,
  materializeScope,
  replaceChildren,
  replaceRows,
  type Scope,
  sql,
  undoWrites,
  upsertColumns,
} from 'rowback';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, seedUsers, type WordPressBed, wordpressBed } from './primitives-harness.ts';

let bed: WordPressBed;
beforeEach(async () => {
  bed = await wordpressBed();
  await seedUsers(bed, 20);
});
afterEach(async () => {
  await bed?.close();
});

/** The UID-collision incident in miniature: users 5..8 were overwritten by an import. */
async function damage(): Promise<void> {
  const users = bed.live('wp_users').qualified;
  const meta = bed.live('wp_usermeta').qualified;
  await bed.exec(
    `UPDATE ${users} SET user_email = CONCAT('ep', ID, '@import.test'), display_name = 'EP', user_pass = 'x' WHERE ID BETWEEN 5 AND 8`,
  );
  await bed.exec(
    `UPDATE ${meta} SET meta_value = 'EPfirst' WHERE user_id BETWEEN 5 AND 8 AND meta_key = 'first_name'`,
  );
  await bed.exec(`DELETE FROM ${meta} WHERE user_id BETWEEN 5 AND 8 AND meta_key = 'nickname'`);
  await bed.exec(
    `INSERT INTO ${meta} (umeta_id, user_id, meta_key, meta_value) VALUES (1005, 5, 'ep_flag', '1'), (1006, 6, 'ep_flag', '1')`,
  );
  // A user deleted by the import, and one the backup never had.
  await bed.exec(`DELETE FROM ${users} WHERE ID = 7`);
  await bed.exec(`INSERT INTO ${users} (ID, user_login, user_email) VALUES (9999, 'intruder', 'i@x')`);
  // A later, legitimate change outside the scope must survive.
  await bed.exec(`UPDATE ${users} SET display_name = 'Renamed later' WHERE ID = 2`);
}

async function scopeUsers(): Promise<Scope> {
  return materializeScope(
    bed.workspace,
    'collided-users',
    sql`SELECT ID FROM wp_users WHERE ID BETWEEN 5 AND 8 OR ID = 9999 UNION SELECT 7`,
    {
      key: 'ID',
      keyFrom: bed.live('wp_users'),
      expect: { min: 1, max: 10 },
    },
  );
}

describe('replaceRows + replaceChildren (blanket replace)', () => {
  it('makes scoped rows exactly the backup rows, leaves others, and undo restores the damaged state byte-exactly', async () => {
    const usersBackup = await bed.backup('wp_users');
    const metaBackup = await bed.backup('wp_usermeta');
    await damage();
    const damaged = await bed.checksums('wp_users', 'wp_usermeta');
    const scope = await scopeUsers();
    expect(scope.rows).toBe(5);

    const { value: results, artifacts } = await inTransaction(bed, 'restore', 'apply', async (ctx) => [
      await replaceRows(ctx, 'wp_users', { from: usersBackup, scope }),
      await replaceChildren(ctx, 'wp_usermeta', { from: metaBackup, parentKey: 'user_id', scope }),
    ]);
    const [users, meta] = results;
    expect({ d: users!.deleted, i: users!.inserted, u: users!.updated }).toEqual({ d: 1, i: 1, u: 3 });
    // 4 first_name rows updated, 4 nickname rows re-inserted, 2 ep_flag rows deleted.
    expect({ d: meta!.deleted, i: meta!.inserted, u: meta!.updated }).toEqual({ d: 2, i: 4, u: 4 });
    expect(artifacts.map((a) => a.artifact.kind)).toEqual([
      'before-image',
      'inserted-keys',
      'before-image',
      'inserted-keys',
    ]);

    const db = bed.box.target.db;
    expect((await diffTables(db, bed.live('wp_users'), usersBackup, { scope })).total).toBe(0);
    expect(
      (await diffTables(db, bed.live('wp_usermeta'), metaBackup, { scope, scopeOn: 'user_id' })).total,
    ).toBe(0);
    const outside = await diffTables(db, bed.live('wp_users'), usersBackup);
    expect(outside.changed).toBe(1);
    expect(outside.sample.changed[0]!.fields).toEqual([
      { column: 'display_name', left: 'Renamed later', right: 'User 2' },
    ]);

    const undone = await undoWrites(bed.box.target, null, [users!.undo, meta!.undo]);
    expect(undone.forced).toEqual([]);
    expect(await bed.checksums('wp_users', 'wp_usermeta')).toEqual(damaged);
  });

  it('allow-list upsert sets only the named columns', async () => {
    const usersBackup = await bed.backup('wp_users');
    await damage();
    const scope = await scopeUsers();
    const { value } = await inTransaction(bed, 'allowlist', 'apply', (ctx) =>
      upsertColumns(ctx, 'wp_users', {
        from: usersBackup,
        scope,
        columns: ['user_email', 'display_name'],
        insertMissing: true,
      }),
    );
    expect({ d: value.deleted, i: value.inserted, u: value.updated }).toEqual({ d: 0, i: 1, u: 3 });
    const rows = await bed.box.rows('wp_users', { orderBy: 'ID' });
    const user5 = rows.find((r) => String(r.ID) === '5')!;
    expect(user5.user_email).toBe('user5@example.org');
    expect(user5.user_pass).toBe('x'); // outside the allow-list: kept
    expect(rows.some((r) => String(r.ID) === '9999')).toBe(true); // not in the backup: kept
  });

  it('allow-list upsert with a where condition touches only the matching rows, backup side included', async () => {
    const metaBackup = await bed.backup('wp_usermeta');
    await damage();
    const meta = bed.live('wp_usermeta').qualified;
    // Damage a key the condition leaves out: it must stay damaged.
    await bed.exec(`UPDATE ${meta} SET meta_value = 'EPlast' WHERE user_id = 5 AND meta_key = 'last_name'`);
    await bed.exec(`DELETE FROM ${meta} WHERE user_id = 6 AND meta_key = 'last_name'`);
    const scope = await scopeUsers();
    const options = { from: metaBackup, scope, on: 'user_id', columns: ['meta_value'], insertMissing: true };
    const { value } = await inTransaction(bed, 'allowlist', 'apply', (ctx) =>
      upsertColumns(ctx, 'wp_usermeta', { ...options, where: sql`t.meta_key IN ('first_name', 'nickname')` }),
    );
    // Users 5, 6, 8 (7 has no live user but keeps its usermeta): first_name updated back, nickname
    // re-inserted; last_name of user 5 and the ep_flag rows are outside the condition.
    expect({ d: value.deleted, i: value.inserted, u: value.updated }).toEqual({ d: 0, i: 4, u: 4 });
    const rows = await bed.box.rows('wp_usermeta', { orderBy: 'umeta_id' });
    const of = (user: number, key: string) =>
      rows.filter((r) => Number(r.user_id) === user && r.meta_key === key).map((r) => r.meta_value);
    expect(of(5, 'first_name')).toEqual(['First5']);
    expect(of(8, 'nickname')).toEqual(['nick8']);
    expect(of(5, 'last_name')).toEqual(['EPlast']);
    expect(of(6, 'last_name')).toEqual([]); // missing live, but outside the condition: not re-inserted
    expect(of(5, 'ep_flag')).toEqual(['1']);
    // On the backup row a live column name may mean another column: refused, not guessed.
    const renamed = inTransaction(bed, 'allowlist2', 'plan', (ctx) =>
      upsertColumns(ctx, 'wp_usermeta', {
        ...options,
        map: { meta_value: 'meta_value' },
        where: sql`t.meta_key = 'first_name'`,
      }),
    );
    await expect(renamed).rejects.toThrow(/cannot be combined with renamed columns/);
  });
});
