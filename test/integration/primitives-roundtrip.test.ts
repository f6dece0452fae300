import { randomBytes } from 'node:crypto';
import {
  diffTables,
  hashRows,
  materializeScope,
  replaceChildren,
  replaceRows,
  sql,
  type TableRef,
  undoWrites,
} from 'rowback';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inTransaction, type WordPressBed, wordpressBed } from './primitives-harness.ts';

let bed: WordPressBed;
beforeEach(async () => {
  bed = await wordpressBed();
});
afterEach(async () => {
  await bed?.close();
});

const blob = randomBytes(2000);
blob[0] = 0;
blob[1999] = 0;

describe('values that must round-trip byte-exactly', () => {
  it('bigint above 2^53, binary, blob, emoji, zero dates, JSON, NULL vs empty, case and trailing space, invisible and generated columns, AUTO_INCREMENT 0', async () => {
    const t = bed.live('rt_values').qualified;
    await bed.exec(`CREATE TABLE ${t} (
      id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      big BIGINT UNSIGNED NULL,
      neg BIGINT NULL,
      bin VARBINARY(16) NULL,
      blb LONGBLOB NULL,
      txt VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci NULL,
      zero_dt DATETIME NOT NULL DEFAULT '0000-00-00 00:00:00',
      js JSON NULL,
      dbl DOUBLE NULL,
      amount DECIMAL(30,10) NULL,
      secret INT NULL INVISIBLE,
      big_text VARCHAR(40) GENERATED ALWAYS AS (CONCAT(big)) STORED
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`);
    const cols = 'id, big, neg, bin, blb, txt, zero_dt, js, dbl, amount, secret';
    await bed.exec(`INSERT INTO ${t} (${cols}) VALUES
      (0, 1, 1, NULL, NULL, 'zero id', '2020-01-01 00:00:00', NULL, NULL, NULL, NULL),
      (1, 18446744073709551615, -9223372036854775808, 0x00FF00, 0x${blob.toString('hex')}, 'Zoë 😀 𝄞', '0000-00-00 00:00:00',
       '{"a": [1, 2.5, "x"], "b": null}', 0.30000000000000004, 12345678901234567890.0123456789, 42),
      (2, NULL, NULL, NULL, NULL, '', '0000-00-00 00:00:00', NULL, NULL, NULL, NULL),
      (3, 9007199254740993, 0, X'', '', 'abc', '2024-02-29 23:59:59', '[]', -0.0, 0, 7),
      (4, 2, 2, 0x20, ' ', 'a', '0000-00-00 00:00:00', '{}', 1e308, -1, 8)`);
    const backup = await bed.backup('rt_values');
    await bed.exec(`UPDATE ${t} SET big = 18446744073709551614, bin = 0x00FF01, blb = CONCAT(blb, 0x00), txt = 'Zoe',
      zero_dt = '2020-01-01 00:00:00', js = '{"a": 1}', dbl = 0.3, amount = 12345678901234567890.0123456788, secret = 43 WHERE id = 1`);
    await bed.exec(`UPDATE ${t} SET txt = NULL WHERE id = 2`);
    await bed.exec(`UPDATE ${t} SET txt = 'ABC', big = 9007199254740992 WHERE id = 3`);
    await bed.exec(`UPDATE ${t} SET txt = 'a ' WHERE id = 4`);
    await bed.exec(`DELETE FROM ${t} WHERE id = 0`);
    await bed.exec(`INSERT INTO ${t} (id, txt) VALUES (5, 'only live')`);
    const damaged = await bed.checksums('rt_values');

    const scope = await materializeScope(bed.workspace, 'all', [0, 1, 2, 3, 4, 5], { key: 'id' });
    const { value } = await inTransaction(bed, 'rt', 'apply', (ctx) =>
      replaceRows(ctx, 'rt_values', { from: backup, scope }),
    );
    expect([value.deleted, value.inserted, value.updated]).toEqual([1, 1, 4]);

    const db = bed.box.target.db;
    expect(await hashRows(db, bed.live('rt_values'))).toBe(await hashRows(db, backup));
    expect((await diffTables(db, bed.live('rt_values'), backup)).total).toBe(0);
    const checksum = async (table: TableRef) =>
      (await sql.raw<{ Checksum: string }>(`CHECKSUM TABLE ${table.qualified} EXTENDED`).execute(db)).rows[0]!
        .Checksum;
    expect(await checksum(bed.live('rt_values'))).toBe(await checksum(backup));
    const rows = await sql
      .raw<Record<string, unknown>>(`SELECT ${cols}, big_text FROM ${t} ORDER BY id`)
      .execute(db);
    expect(rows.rows.map((r) => r.id)).toEqual(['0', '1', '2', '3', '4']);
    const one = rows.rows[1]!;
    expect(one.big).toBe('18446744073709551615');
    expect(one.big_text).toBe('18446744073709551615');
    expect(one.neg).toBe('-9223372036854775808');
    expect(one.bin).toEqual(Buffer.from([0, 255, 0]));
    expect(Buffer.compare(one.blb as Buffer, blob)).toBe(0);
    expect(one.txt).toBe('Zoë 😀 𝄞');
    expect(one.zero_dt).toBe('0000-00-00 00:00:00');
    expect(one.secret).toBe(42);
    expect(rows.rows[2]!.txt).toBe('');
    expect(rows.rows[3]!.txt).toBe('abc');
    expect(rows.rows[4]!.txt).toBe('a');

    await undoWrites(bed.box.target, null, [value.undo]);
    expect(await bed.checksums('rt_values')).toEqual(damaged);
  });
});

describe('composite keys', () => {
  it('replaces rows by a composite key and child rows by one part of it; scope types probed from the query', async () => {
    const t = bed.live('wp_term_relationships').qualified;
    await bed.exec(`INSERT INTO ${t} VALUES (1, 1, 0), (1, 2, 1), (2, 1, 0), (2, 2, 0), (3, 1, 5)`);
    const backup = await bed.backup('wp_term_relationships');
    await bed.exec(`UPDATE ${t} SET term_order = 9 WHERE object_id = 1 AND term_taxonomy_id = 1`);
    await bed.exec(`DELETE FROM ${t} WHERE object_id = 1 AND term_taxonomy_id = 2`);
    await bed.exec(`INSERT INTO ${t} VALUES (1, 3, 0), (2, 3, 0)`);
    await bed.exec(`UPDATE ${t} SET term_order = 7 WHERE object_id = 3`);
    const damaged = await bed.checksums('wp_term_relationships');

    const pairs = await materializeScope(
      bed.workspace,
      'pairs',
      [
        [1, 1],
        [1, 2],
        [1, 3],
      ],
      {
        key: ['object_id', 'term_taxonomy_id'],
        keyFrom: bed.live('wp_term_relationships'),
      },
    );
    const { value: byPair } = await inTransaction(bed, 'pairs', 'plan', (ctx) =>
      replaceRows(ctx, 'wp_term_relationships', { from: backup, scope: pairs }),
    );
    expect([byPair.deleted, byPair.inserted, byPair.updated]).toEqual([1, 1, 1]);

    // No keyFrom: the key types come from the query itself.
    const posts = await materializeScope(
      bed.workspace,
      'posts',
      sql`SELECT DISTINCT object_id AS ID FROM wp_term_relationships WHERE object_id IN (1, 2)`,
      {
        key: 'ID',
        expect: { rows: 2 },
      },
    );
    const { value } = await inTransaction(bed, 'children', 'apply', (ctx) =>
      replaceChildren(ctx, 'wp_term_relationships', { from: backup, parentKey: 'object_id', scope: posts }),
    );
    expect([value.deleted, value.inserted, value.updated]).toEqual([2, 1, 1]);
    expect(
      await bed.box.rows('wp_term_relationships', { orderBy: ['object_id', 'term_taxonomy_id'] }),
    ).toEqual([
      { object_id: '1', term_taxonomy_id: '1', term_order: 0 },
      { object_id: '1', term_taxonomy_id: '2', term_order: 1 },
      { object_id: '2', term_taxonomy_id: '1', term_order: 0 },
      { object_id: '2', term_taxonomy_id: '2', term_order: 0 },
      { object_id: '3', term_taxonomy_id: '1', term_order: 7 },
    ]);
    await undoWrites(bed.box.target, null, [value.undo]);
    expect(await bed.checksums('wp_term_relationships')).toEqual(damaged);
  });
});
