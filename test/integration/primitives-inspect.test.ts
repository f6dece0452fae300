import {
  checkWriteSize,
  columnDriftProfile,
  countSnapshotRows,
  diffKeys,
  diffTables,
  estimateWriteBytes,
  GateError,
  hashRows,
  materializeScope,
  openWorkspace,
  SizeLimitError,
  snapshot,
  splitScope,
  sql,
  UsageError,
  verifyQuery,
} from 'rowback';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedUsers, type WordPressBed, wordpressBed } from './primitives-harness.ts';

let bed: WordPressBed;
beforeEach(async () => {
  bed = await wordpressBed();
  await seedUsers(bed, 30);
});
afterEach(async () => {
  await bed?.close();
});

const serialized = (name: string, roles: string) =>
  `a:3:{s:4:"name";s:${name.length}:"${name}";s:5:"roles";s:${roles.length}:"${roles}";s:6:"bio";s:58:"A long biography text that makes this value long enough.";}`;

describe('openWorkspace', () => {
  it('is idempotent and race-safe', async () => {
    const schema = bed.box.schemaName('race');
    const opened = await Promise.all([1, 2, 3].map(() => openWorkspace(bed.box.target, { schema })));
    expect(opened.map((w) => [w.schema, w.sameServer])).toEqual([
      [schema, true],
      [schema, true],
      [schema, true],
    ]);
  });
});

describe('materializeScope', () => {
  it('gates the key count and explains a failure', async () => {
    const run = materializeScope(bed.workspace, 'nobody', sql`SELECT ID FROM wp_users WHERE ID > ${1000}`, {
      key: 'ID',
      keyFrom: bed.live('wp_users'),
      expect: { min: 1, max: 5000 },
      hint: 'the scope query matched nothing; check the importBatch param',
    });
    await expect(run).rejects.toThrow(GateError);
    await expect(run).rejects.toThrow(
      "gate 'nobody' expected 1..5000 rows, found 0. the scope query matched nothing",
    );
  });

  it('collapses duplicates, skips NULL keys, has a primary key, reads workspace tables, and asks for types of string keys', async () => {
    const scope = await materializeScope(
      bed.workspace,
      'logins',
      sql`SELECT user_login FROM wp_users WHERE ID <= 3 UNION ALL SELECT user_login FROM wp_users WHERE ID = 1 UNION ALL SELECT NULL`,
      {
        key: 'user_login',
      },
    );
    expect(scope.rows).toBe(3);
    const pk = await sql<{ n: number }>`
      SELECT COUNT(*) AS n FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = ${scope.table.schema} AND TABLE_NAME = ${scope.table.name} AND INDEX_NAME = 'PRIMARY'`.execute(
      bed.box.target.db,
    );
    expect(Number(pk.rows[0]!.n)).toBe(1);
    const again = await materializeScope(
      bed.workspace,
      'from-scope',
      sql`SELECT u.ID FROM wp_users u JOIN ${scope.table} s ON s.user_login = u.user_login`,
      {
        key: 'ID',
      },
    );
    expect(again.rows).toBe(3);
    await expect(
      materializeScope(bed.workspace, 'strings', ['user1'], { key: 'user_login' }),
    ).rejects.toThrow(UsageError);
    const typed = await materializeScope(bed.workspace, 'strings', ['user1', 'user2'], {
      key: 'user_login',
      keyFrom: bed.live('wp_users'),
    });
    expect(typed.rows).toBe(2);
  });
});

describe('snapshot', () => {
  it('copies scoped rows with LIKE + INSERT … SELECT and returns artifact records; counts them for a plan', async () => {
    const scope = await materializeScope(bed.workspace, 'some', [2, 3, 4], { key: 'ID' });
    const tables = [bed.live('wp_users'), bed.live('wp_usermeta')];
    const options = { scope, on: { wp_usermeta: 'user_id' }, prefix: 'snap_7_before' };
    const counted = await countSnapshotRows(bed.box.target.db, tables, options);
    expect(counted.map((c) => c.rows)).toEqual([3, 12]);
    const artifacts = await snapshot(bed.workspace, 'before', tables, options);
    expect(artifacts.map((a) => [a.kind, a.table.name, a.rows])).toEqual([
      ['snapshot', 'snap_7_before__wp_users', 3],
      ['snapshot', 'snap_7_before__wp_usermeta', 12],
    ]);
    expect(artifacts[0]!.checksum).toMatch(/^\d+$/);
    expect(await hashRows(bed.box.target.db, artifacts[0]!.table)).toBe(
      await hashRows(bed.box.target.db, bed.live('wp_users'), { table: scope.table, columns: ['ID'] }),
    );
    const whereCopy = await snapshot(bed.workspace, 'before', [bed.live('wp_usermeta')], {
      where: sql`meta_key = ${'nickname'}`,
    });
    expect(whereCopy[0]!.rows).toBe(30);
  });
});

describe('diffTables and columnDriftProfile', () => {
  it('counts per column on the server and shows field diffs, with a word diff for serialized PHP', async () => {
    const usersBackup = await bed.backup('wp_users');
    const meta = bed.live('wp_usermeta').qualified;
    await bed.exec(
      `UPDATE ${meta} SET meta_value = '${serialized('Alice', 'subscriber')}' WHERE umeta_id = 54`,
    );
    const metaBackup = await bed.backup('wp_usermeta');
    await bed.exec(
      `UPDATE ${meta} SET meta_value = '${serialized('Alice', 'administrator')}' WHERE umeta_id = 54`,
    );
    await bed.exec(`DELETE FROM ${meta} WHERE umeta_id = 61`);
    await bed.exec(`INSERT INTO ${meta} VALUES (9001, 6, 'ep_flag', '1')`);
    const users = bed.live('wp_users').qualified;
    await bed.exec(`UPDATE ${users} SET user_email = 'ep@x', user_pass = 'p' WHERE ID IN (5, 6)`);
    await bed.exec(`UPDATE ${users} SET display_name = 'USER 7' WHERE ID = 7`);
    const scope = await materializeScope(bed.workspace, 'ep', [5, 6, 7], { key: 'ID' });
    const db = bed.box.target.db;

    const d = await diffTables(db, bed.live('wp_usermeta'), metaBackup, {
      scope,
      scopeOn: 'user_id',
      sampleSize: 5,
    });
    expect([d.onlyLeft, d.onlyRight, d.changed, d.total]).toEqual([1, 1, 1, 3]);
    expect(d.columnCounts).toEqual({ user_id: 0, meta_key: 0, meta_value: 1 });
    expect(d.sample.onlyLeft).toEqual([{ umeta_id: '9001' }]);
    expect(d.sample.onlyRight).toEqual([{ umeta_id: '61' }]);
    const field = d.sample.changed[0]!.fields[0]!;
    expect(field.column).toBe('meta_value');
    expect(field.textDiff, JSON.stringify(field)).toContain('[-administrator-]{+subscriber+}');
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);

    // diffKeys: the same differing rows in one query, keys only.
    const keys = await diffKeys(db, bed.live('wp_usermeta'), metaBackup, { scope, scopeOn: 'user_id' });
    expect([...keys].sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { key: { umeta_id: '54' }, status: 'changed' },
      { key: { umeta_id: '9001' }, status: 'only-left' },
      { key: { umeta_id: '61' }, status: 'only-right' },
    ]);
    const all = await diffKeys(db, bed.live('wp_users'), usersBackup);
    expect(all.map((k) => k.key.ID).sort()).toEqual(['5', '6', '7']);

    const profile = await columnDriftProfile(db, bed.live('wp_users'), usersBackup, {
      scope,
      allowList: ['user_email', 'display_name'],
    });
    expect(profile.changedRows).toBe(3);
    expect(
      profile.columns.filter((c) => c.differing > 0).map((c) => [c.column, c.differing, c.inAllowList]),
    ).toEqual([
      ['user_pass', 2, false],
      ['user_email', 2, true],
      ['display_name', 1, true],
    ]);
    expect(profile.outsideAllowList).toEqual(['user_pass']);
  });

  it('compares text byte-wise: a change of case or trailing space is a difference', async () => {
    const usersBackup = await bed.backup('wp_users');
    await bed.exec(`UPDATE ${bed.live('wp_users').qualified} SET display_name = 'USER 1' WHERE ID = 1`);
    await bed.exec(`UPDATE ${bed.live('wp_users').qualified} SET user_url = ' ' WHERE ID = 2`);
    const d = await diffTables(bed.box.target.db, bed.live('wp_users'), usersBackup);
    expect(d.changed).toBe(2);
  });
});

describe('verifyQuery', () => {
  it('counts rows, or takes the value of a COUNT(*), and gates', async () => {
    const db = bed.box.target.db;
    expect(await verifyQuery(db, sql`SELECT ID FROM wp_users WHERE ID <= 3`)).toBe(3);
    expect(await verifyQuery(db, sql`SELECT ID FROM wp_users WHERE ID = 17`)).toBe(1);
    expect(await verifyQuery(db, sql`SELECT COUNT(*) FROM wp_usermeta`, { expect: { rows: 120 } })).toBe(120);
    expect(await verifyQuery(db, sql`SELECT COUNT(*) AS count FROM wp_users WHERE ID > 100`)).toBe(0);
    await expect(
      verifyQuery(db, sql`SELECT ID FROM wp_users WHERE user_email LIKE ${'%@import.test'}`, {
        name: 'no EP emails',
        expect: { rows: 1 },
      }),
    ).rejects.toThrow("gate 'no EP emails' expected = 1 rows, found 0");
  });
});

describe('splitScope and the size guard', () => {
  it('splits a scope into key-ordered chunks that cover it exactly', async () => {
    const scope = await materializeScope(bed.workspace, 'all-users', sql`SELECT ID FROM wp_users`, {
      key: 'ID',
      keyFrom: bed.live('wp_users'),
    });
    const chunks = await splitScope(bed.workspace, bed.box.target.db, scope, 7);
    expect(chunks.map((c) => c.rows)).toEqual([7, 7, 7, 7, 2]);
    const first = await sql<{ ID: string }>`SELECT ID FROM ${chunks[1]!.table} ORDER BY ID`.execute(
      bed.box.target.db,
    );
    expect(first.rows.map((r) => Number(r.ID))).toEqual([8, 9, 10, 11, 12, 13, 14]);
  });

  it('estimates bytes from the scoped rows and refuses above a cap', async () => {
    const metaBackup = await bed.backup('wp_usermeta');
    const scope = await materializeScope(bed.workspace, 'ten', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], {
      key: 'ID',
    });
    const size = await estimateWriteBytes(bed.box.target.db, bed.live('wp_usermeta'), {
      scope,
      on: 'user_id',
      from: metaBackup,
    });
    expect(size.liveRows).toBe(40);
    expect(size.backupRows).toBe(40);
    expect(size.estimatedBytes).toBe(2 * size.liveBytes + size.backupBytes);
    expect(size.liveBytes).toBeGreaterThan(40 * 10);
    expect(() => checkWriteSize(bed.box.target.topology, size.estimatedBytes, 100)).toThrow(SizeLimitError);
    expect(() => checkWriteSize(bed.box.target.topology, size.estimatedBytes, 10_000_000)).not.toThrow();
  });
});
