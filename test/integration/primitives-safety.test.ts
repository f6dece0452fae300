import {
  applyWrites,
  connect,
  ForeignKeyError,
  GateError,
  KeyConflictError,
  materializeScope,
  purge,
  replaceChildren,
  replaceChildrenSpec,
  replaceRows,
  replaceRowsSpec,
  SchemaDriftError,
  type Scope,
  sql,
  type TableRef,
  UndoConflictError,
  undoWrites,
  upsertColumns,
  type WriteContext,
} from 'rowback';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { inTransaction, q, seedUsers, type WordPressBed, wordpressBed } from './primitives-harness.ts';

let bed: WordPressBed;
beforeEach(async () => {
  bed = await wordpressBed();
  await seedUsers(bed, 20);
});
afterEach(async () => {
  await bed?.close();
});

/** The backup's website (its renamed user_url) in the mapped-column test. */
const websiteOf = (id: number) => `https://site${id}.example`;

async function damagedWithBackup() {
  const usersBackup = await bed.backup('wp_users');
  const metaBackup = await bed.backup('wp_usermeta');
  const users = bed.live('wp_users').qualified;
  const meta = bed.live('wp_usermeta').qualified;
  await bed.exec(
    `UPDATE ${users} SET user_email = 'ep@import.test', display_name = 'EP' WHERE ID BETWEEN 5 AND 8`,
  );
  await bed.exec(`UPDATE ${meta} SET meta_value = 'EP' WHERE user_id BETWEEN 5 AND 8`);
  await bed.exec(`DELETE FROM ${meta} WHERE user_id = 5 AND meta_key = 'nickname'`);
  const scope = await materializeScope(
    bed.workspace,
    'users',
    sql`SELECT ID FROM wp_users WHERE ID BETWEEN 5 AND 8`,
    {
      key: 'ID',
      keyFrom: bed.live('wp_users'),
    },
  );
  return { usersBackup, metaBackup, scope, before: await bed.checksums('wp_users', 'wp_usermeta') };
}

describe('a failed gate', () => {
  it('throws GateError before changing the table, and the rollback leaves live byte-identical', async () => {
    const { usersBackup, metaBackup, scope, before } = await damagedWithBackup();
    const run = inTransaction(bed, 'restore', 'apply', async (ctx) => {
      await replaceRows(ctx, 'wp_users', { from: usersBackup, scope, expect: { rows: 4 } });
      await replaceChildren(ctx, 'wp_usermeta', {
        from: metaBackup,
        parentKey: 'user_id',
        scope,
        expect: { max: 3 },
      });
    });
    await expect(run).rejects.toThrow(GateError);
    await expect(run).rejects.toThrow(
      /gate 'restore: replace-children wp_usermeta' expected <= 3 rows, found 16/,
    );
    expect(await bed.checksums('wp_users', 'wp_usermeta')).toEqual(before);
  });

  it('on a purge counts the matching rows before deleting any', async () => {
    const before = await bed.checksums('wp_usermeta');
    const run = inTransaction(bed, 'purge', 'apply', (ctx) =>
      purge(ctx, 'wp_usermeta', { where: sql`meta_key = ${'nickname'}`, expect: { rows: 3 } }),
    );
    await expect(run).rejects.toThrow(/expected = 3 rows, found 20/);
    expect(await bed.checksums('wp_usermeta')).toEqual(before);
  });
});

describe('a connection killed mid-transaction', () => {
  it('leaves live unchanged', async () => {
    const { usersBackup, metaBackup, scope, before } = await damagedWithBackup();
    const killer = await bed.box.target.reconnect();
    try {
      const run = inTransaction(bed, 'restore', 'apply', async (ctx, tx) => {
        await replaceRows(ctx, 'wp_users', { from: usersBackup, scope });
        const id = await sql<{ id: string }>`SELECT CONNECTION_ID() AS id`.execute(tx);
        await sql.raw(`KILL CONNECTION ${Number(id.rows[0]!.id)}`).execute(killer.db);
        await replaceChildren(ctx, 'wp_usermeta', { from: metaBackup, parentKey: 'user_id', scope });
      });
      await expect(run).rejects.toThrow();
    } finally {
      await killer.close();
    }
    expect(await bed.checksums('wp_users', 'wp_usermeta')).toEqual(before);
  });
});

describe('plan mode', () => {
  it('reports the same counts that apply then writes, and leaves live unchanged', async () => {
    const { usersBackup, metaBackup, scope, before } = await damagedWithBackup();
    const writes = async (ctx: Parameters<Parameters<typeof inTransaction>[3]>[0]) =>
      (
        await applyWrites(ctx, [
          replaceRowsSpec(ctx, 'wp_users', { from: usersBackup, scope }),
          replaceChildrenSpec(ctx, 'wp_usermeta', { from: metaBackup, parentKey: 'user_id', scope }),
        ])
      ).map((r) => ({ table: r.table.name, deleted: r.deleted, inserted: r.inserted, updated: r.updated }));
    const planned = await inTransaction(bed, 'restore', 'plan', writes);
    expect(await bed.checksums('wp_users', 'wp_usermeta')).toEqual(before);
    const applied = await inTransaction(bed, 'restore', 'apply', writes);
    expect(applied.value).toEqual(planned.value);
    expect(planned.value).toEqual([
      { table: 'wp_users', deleted: 0, inserted: 0, updated: 4 },
      { table: 'wp_usermeta', deleted: 0, inserted: 1, updated: 15 },
    ]);
    expect(await bed.checksums('wp_users', 'wp_usermeta')).not.toEqual(before);
  });
});

describe('undo', () => {
  it('refuses with UndoConflictError when rows changed since the write, and force overwrites', async () => {
    const { usersBackup, scope, before } = await damagedWithBackup();
    const { value } = await inTransaction(bed, 'restore', 'apply', (ctx) =>
      upsertColumns(ctx, 'wp_users', { from: usersBackup, scope, columns: ['user_email'] }),
    );
    await bed.exec(`UPDATE ${bed.live('wp_users').qualified} SET user_url = 'changed later' WHERE ID = 6`);
    const changed = await bed.checksums('wp_users');
    await expect(undoWrites(bed.box.target, null, [value.undo])).rejects.toThrow(UndoConflictError);
    // The operator reads this on the CLI: the fix must be a flag they can type.
    await expect(undoWrites(bed.box.target, null, [value.undo])).rejects.toThrow(
      /rowback undo <run> --force/,
    );
    expect(await bed.checksums('wp_users')).toEqual(changed);
    const forced = await undoWrites(bed.box.target, null, [value.undo], { force: true });
    expect(forced.forced).toHaveLength(1);
    expect(await bed.checksums('wp_users')).toEqual({ wp_users: before.wp_users });
  });

  it('survives JSON (the ledger stores undo records as text) and undoes a purge', async () => {
    const before = await bed.checksums('wp_usermeta');
    const { value } = await inTransaction(bed, 'purge', 'apply', (ctx) =>
      purge(ctx, 'wp_usermeta', { where: sql`meta_key = ${'nickname'}`, expect: { rows: 20 } }),
    );
    expect(value.deleted).toBe(20);
    await undoWrites(bed.box.target, null, [JSON.parse(JSON.stringify(value.undo))]);
    expect(await bed.checksums('wp_usermeta')).toEqual(before);
  });
});

describe('a connection without a default schema', () => {
  it('deletes and undoes (MariaDB refuses `DELETE alias FROM db.t AS alias` there: 1046)', async () => {
    await using target = await connect(inject('mysqlUrl'));
    expect(target.server.defaultSchema).toBeNull();
    const before = await bed.checksums('wp_usermeta');
    const result = await target.db.connection().execute(async (tx) => {
      await sql`START TRANSACTION`.execute(tx);
      const ctx: WriteContext = {
        tx,
        ddl: target.db,
        server: target.server,
        liveSchema: bed.box.schema,
        workspace: bed.workspace,
        recorder: { record: async () => undefined },
        stepName: 'nodb',
        mode: 'apply',
      };
      const purged = await purge(ctx, bed.live('wp_usermeta'), {
        where: sql`user_id = ${3}`,
        expect: { rows: 4 },
      });
      await sql`COMMIT`.execute(tx);
      return purged;
    });
    expect(result.deleted).toBe(4);
    await undoWrites(target, null, [result.undo]);
    expect(await bed.checksums('wp_usermeta')).toEqual(before);
  });
});

describe('schema drift', () => {
  it('is refused with SchemaDriftError naming each difference, before any write', async () => {
    const { usersBackup, scope, before } = await damagedWithBackup();
    await bed.exec(
      `ALTER TABLE ${usersBackup.qualified} MODIFY user_email VARCHAR(64) NOT NULL DEFAULT '', ADD COLUMN legacy_uid INT NULL, DROP COLUMN user_url`,
    );
    const run = inTransaction(bed, 'restore', 'apply', (ctx) =>
      replaceRows(ctx, 'wp_users', { from: usersBackup, scope }),
    );
    await expect(run).rejects.toThrow(SchemaDriftError);
    await expect(run).rejects.toThrow(/column user_url \(varchar\(100\)\) is in live but not in the backup/);
    await expect(run).rejects.toThrow(
      /column user_email: type varchar\(100\) in live, varchar\(64\) in the backup/,
    );
    await expect(run).rejects.toThrow(/column legacy_uid \(int(\(11\))?\) is in the backup but not in live/);
    expect(await bed.checksums('wp_users')).toEqual({ wp_users: before.wp_users });
    const workTables = await sql<{ n: number }>`
      SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${bed.workspace.schema} AND TABLE_NAME LIKE 'bi%'`.execute(
      bed.box.target.db,
    );
    expect(Number(workTables.rows[0]!.n)).toBe(0);
  });

  it('passes once renamed columns are mapped and irrelevant ones ignored', async () => {
    const { usersBackup, scope } = await damagedWithBackup();
    await bed.exec(
      `ALTER TABLE ${usersBackup.qualified} CHANGE user_url website VARCHAR(100) NOT NULL DEFAULT '', ADD COLUMN legacy_uid INT NULL`,
    );
    // Values only the backup has, so the test sees where user_url came from.
    await bed.exec(`UPDATE ${usersBackup.qualified} SET website = CONCAT('https://site', ID, '.example')`);
    const { value } = await inTransaction(bed, 'restore', 'apply', (ctx) =>
      replaceRows(ctx, 'wp_users', {
        from: usersBackup,
        scope,
        map: { user_url: 'website' },
        ignore: ['legacy_uid'],
      }),
    );
    expect(value.updated).toBe(4);
    // Each scoped live row is now its backup row, user_url taken from the backup's website column.
    const rows = async (from: TableRef, url: string) =>
      (
        await sql<Record<string, unknown>>`
          SELECT ID, user_email, display_name, ${sql.raw(q(url))} AS url FROM ${sql.raw(from.qualified)}
          ORDER BY ID`.execute(bed.box.target.db)
      ).rows.map((r) => JSON.stringify(r));
    const live = await rows(bed.live('wp_users'), 'user_url');
    const backup = await rows(usersBackup, 'website');
    const scoped = (r: string) => [5, 6, 7, 8].includes(Number(JSON.parse(r).ID));
    expect(live.filter(scoped)).toEqual(backup.filter(scoped));
    expect(backup.filter(scoped).map((r) => JSON.parse(r).url)).toEqual([5, 6, 7, 8].map(websiteOf));
    // Rows outside the scope keep their live values (not the backup's website).
    expect(live.filter((r) => !scoped(r)).map((r) => JSON.parse(r).url)).not.toContain(websiteOf(1));
  });
});

describe('replaceChildren key conflicts', () => {
  it('refuses backup rows whose primary key a live row of another parent now uses, naming them', async () => {
    const { metaBackup, scope, before } = await damagedWithBackup();
    // umeta_id 61 belonged to user 6 in the backup; live it now belongs to user 3 (outside the scope).
    await bed.exec(`UPDATE ${bed.live('wp_usermeta').qualified} SET user_id = 3 WHERE umeta_id = 61`);
    const now = await bed.checksums('wp_usermeta');
    const run = inTransaction(bed, 'restore', 'apply', (ctx) =>
      replaceChildren(ctx, 'wp_usermeta', { from: metaBackup, parentKey: 'user_id', scope }),
    );
    await expect(run).rejects.toThrow(KeyConflictError);
    await expect(run).rejects.toThrow(/1 backup row\(s\).*umeta_id=61 \(now user_id=3\)/);
    expect(await bed.checksums('wp_usermeta')).toEqual(now);
    expect(before).toBeDefined();
  });

  it('moves rows between scoped parents in place, deletes rows whose backup parent is unscoped', async () => {
    const { metaBackup, scope } = await damagedWithBackup();
    const meta = bed.live('wp_usermeta').qualified;
    const image = metaBackup.qualified;
    // Backup: umeta_id 51 belonged to user 5. Live it moved to user 7 (scoped): the backup key is scoped,
    // so it is updated back in place — not a conflict, not a delete.
    await bed.exec(`UPDATE ${meta} SET user_id = 7 WHERE umeta_id = 51`);
    // Live umeta_id 62 (user 6, scoped) is in the backup under user 2 (unscoped): live's row is deleted,
    // and the backup row is not put back (its parent is outside the scope).
    await bed.exec(`UPDATE ${image} SET user_id = 2 WHERE umeta_id = 62`);
    const rows = async (text: string) =>
      (await sql.raw<Record<string, unknown>>(text).execute(bed.box.target.db)).rows;
    const liveKeysBefore = await rows(`SELECT umeta_id FROM ${meta} WHERE user_id BETWEEN 5 AND 8`);
    const { value: result } = await inTransaction(bed, 'restore', 'apply', (ctx) =>
      replaceChildren(ctx, 'wp_usermeta', { from: metaBackup, parentKey: 'user_id', scope }),
    );
    const after = await rows(
      `SELECT * FROM ${meta} WHERE user_id BETWEEN 5 AND 8 OR umeta_id IN (51, 62) ORDER BY umeta_id`,
    );
    const expected = await rows(`SELECT * FROM ${image} WHERE user_id BETWEEN 5 AND 8 ORDER BY umeta_id`);
    expect(after).toEqual(expected);
    expect(Number(after.find((r) => Number(r.umeta_id) === 51)?.user_id)).toBe(5);
    expect(after.find((r) => Number(r.umeta_id) === 62)).toBeUndefined();
    expect(result.deleted).toBe(1);
    expect(result.inserted).toBe(1); // user 5's nickname, deleted by the damage
    expect(result.updated).toBe(liveKeysBefore.length - 1);
  });
});

describe('foreign keys', () => {
  async function eventTables(): Promise<Scope> {
    const events = bed.live('ep_events').qualified;
    const parts = bed.live('ep_participants').qualified;
    await bed.exec(`CREATE TABLE ${events} (id INT PRIMARY KEY, title VARCHAR(50) NOT NULL)`);
    await bed.exec(
      `CREATE TABLE ${parts} (id INT PRIMARY KEY, event_id INT NOT NULL, name VARCHAR(50), CONSTRAINT fk_event FOREIGN KEY (event_id) REFERENCES ${events} (id) ON DELETE CASCADE)`,
    );
    await bed.exec(`INSERT INTO ${events} VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
    await bed.exec(`INSERT INTO ${parts} VALUES (10, 1, 'a'), (11, 1, 'b'), (20, 2, 'c'), (30, 3, 'd')`);
    // Explicit keys (event 4 exists only in the backup); integer keys need no type hint.
    return materializeScope(bed.workspace, 'events', [1, 2, 4], { key: 'id', expect: { rows: 3 } });
  }

  it('refuses a delete whose ON DELETE CASCADE reaches rows outside the scope, unless acknowledged; undo restores cascaded rows', async () => {
    const scope = await eventTables();
    const eventsBackup = await bed.backup('ep_events');
    await bed.exec(`DELETE FROM ${eventsBackup.qualified} WHERE id = 2`);
    const before = await bed.checksums('ep_events', 'ep_participants');
    const refused = inTransaction(bed, 'fix', 'apply', (ctx) =>
      replaceRows(ctx, 'ep_events', { from: eventsBackup, scope }),
    );
    await expect(refused).rejects.toThrow(ForeignKeyError);
    await expect(refused).rejects.toThrow(
      /1 row\(s\) of .*ep_participants \(foreign key fk_event, ON DELETE CASCADE\)/,
    );
    expect(await bed.checksums('ep_events', 'ep_participants')).toEqual(before);

    const { value } = await inTransaction(bed, 'fix', 'apply', (ctx) =>
      replaceRows(ctx, 'ep_events', { from: eventsBackup, scope, allowCascade: true }),
    );
    expect(value.cascaded).toBe(1);
    expect(value.warnings.join()).toMatch(
      /their prior rows are in .*bi__fix__ep_participants__cascade and undo restores them/,
    );
    expect(await bed.box.rows('ep_participants', { orderBy: 'id' })).toHaveLength(3);
    expect(value.cascadeUndo.map((u) => [u.kind, u.table.name, u.counts.deleted])).toEqual([
      ['cascade', 'ep_participants', 1],
    ]);
    await undoWrites(bed.box.target, null, [value.undo, ...value.cascadeUndo]);
    expect(await bed.checksums('ep_events', 'ep_participants')).toEqual(before);
  });

  it('deletes children first and inserts parents first, whatever order the writes are given in', async () => {
    const scope = await eventTables();
    const eventsBackup = await bed.backup('ep_events');
    const partsBackup = await bed.backup('ep_participants');
    // The backup lacks event 2 (and its participant) and has an event 4 with a participant.
    await bed.exec(`DELETE FROM ${partsBackup.qualified} WHERE event_id = 2`);
    await bed.exec(`DELETE FROM ${eventsBackup.qualified} WHERE id = 2`);
    await bed.exec(`INSERT INTO ${eventsBackup.qualified} VALUES (4, 'four')`);
    await bed.exec(`INSERT INTO ${partsBackup.qualified} VALUES (40, 4, 'e')`);
    const before = await bed.checksums('ep_events', 'ep_participants');
    const { value } = await inTransaction(bed, 'fix', 'apply', (ctx) =>
      applyWrites(ctx, [
        replaceRowsSpec(ctx, 'ep_events', { from: eventsBackup, scope }),
        replaceChildrenSpec(ctx, 'ep_participants', { from: partsBackup, parentKey: 'event_id', scope }),
      ]),
    );
    expect(value.map((r) => [r.deleted, r.inserted, r.updated])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect(value.every((r) => r.cascaded === 0)).toBe(true);
    expect(await bed.box.rows('ep_participants', { orderBy: 'id' })).toEqual([
      { id: 10, event_id: 1, name: 'a' },
      { id: 11, event_id: 1, name: 'b' },
      { id: 30, event_id: 3, name: 'd' },
      { id: 40, event_id: 4, name: 'e' },
    ]);
    await undoWrites(
      bed.box.target,
      null,
      value.map((r) => r.undo),
    );
    expect(await bed.checksums('ep_events', 'ep_participants')).toEqual(before);
  });
});

describe('a cascade of more than one level', () => {
  it('is refused even when acknowledged', async () => {
    const a = bed.live('fk_a').qualified;
    const b = bed.live('fk_b').qualified;
    const c = bed.live('fk_c').qualified;
    await bed.exec(`CREATE TABLE ${a} (id INT PRIMARY KEY)`);
    await bed.exec(
      `CREATE TABLE ${b} (id INT PRIMARY KEY, a_id INT NOT NULL, FOREIGN KEY (a_id) REFERENCES ${a} (id) ON DELETE CASCADE)`,
    );
    await bed.exec(
      `CREATE TABLE ${c} (id INT PRIMARY KEY, b_id INT NOT NULL, CONSTRAINT c_to_b FOREIGN KEY (b_id) REFERENCES ${b} (id) ON DELETE CASCADE)`,
    );
    await bed.exec(`INSERT INTO ${a} VALUES (1), (2)`);
    await bed.exec(`INSERT INTO ${b} VALUES (10, 1), (20, 2)`);
    await bed.exec(`INSERT INTO ${c} VALUES (100, 10)`);
    const backup = await bed.backup('fk_a');
    await bed.exec(`DELETE FROM ${backup.qualified} WHERE id = 1`);
    const before = await bed.checksums('fk_a', 'fk_b', 'fk_c');
    const scope = await materializeScope(bed.workspace, 'a', [1, 2], { key: 'id' });
    const run = inTransaction(bed, 'fk', 'apply', (ctx) =>
      replaceRows(ctx, 'fk_a', { from: backup, scope, allowCascade: true }),
    );
    await expect(run).rejects.toThrow(ForeignKeyError);
    await expect(run).rejects.toThrow(/would go on into 1 row\(s\) of .*fk_c \(foreign key c_to_b\)/);
    expect(await bed.checksums('fk_a', 'fk_b', 'fk_c')).toEqual(before);
  });
});

describe('triggers', () => {
  it('are reported on the write that fires them', async () => {
    const { usersBackup, scope } = await damagedWithBackup();
    const log = bed.live('user_log').qualified;
    await bed.exec(`CREATE TABLE ${log} (id INT AUTO_INCREMENT PRIMARY KEY, user_id BIGINT UNSIGNED)`);
    await bed.exec(
      `CREATE TRIGGER ${bed.live('wp_users_audit').qualified} AFTER UPDATE ON ${bed.live('wp_users').qualified} FOR EACH ROW INSERT INTO ${log} (user_id) VALUES (NEW.ID)`,
    );
    const { value } = await inTransaction(bed, 'restore', 'apply', (ctx) =>
      replaceRows(ctx, 'wp_users', { from: usersBackup, scope }),
    );
    expect(value.triggers).toEqual([{ name: 'wp_users_audit', timing: 'AFTER', event: 'UPDATE' }]);
    expect(await bed.box.rows('user_log')).toHaveLength(4);
  });
});

describe('unique secondary keys', () => {
  it('a backup row that collides with an unscoped live row on a UNIQUE key is a KeyConflictError', async () => {
    const tt = bed.live('wp_term_taxonomy').qualified;
    await bed.exec(
      `INSERT INTO ${tt} (term_taxonomy_id, term_id, taxonomy, description) VALUES (1, 10, 'category', ''), (2, 11, 'category', '')`,
    );
    const backup = await bed.backup('wp_term_taxonomy');
    // Live: term 10's category row was deleted and re-created under a new id.
    await bed.exec(`DELETE FROM ${tt} WHERE term_taxonomy_id = 1`);
    await bed.exec(
      `INSERT INTO ${tt} (term_taxonomy_id, term_id, taxonomy, description) VALUES (3, 10, 'category', 'new')`,
    );
    const before = await bed.checksums('wp_term_taxonomy');
    const scope = await materializeScope(bed.workspace, 'tt', [1], { key: 'term_taxonomy_id' });
    const run = inTransaction(bed, 'tt', 'apply', (ctx) =>
      replaceRows(ctx, 'wp_term_taxonomy', { from: backup, scope }),
    );
    await expect(run).rejects.toThrow(KeyConflictError);
    await expect(run).rejects.toThrow(
      /collides with a live row on a unique key: Duplicate entry '10-category'/,
    );
    expect(await bed.checksums('wp_term_taxonomy')).toEqual(before);
  });
});
