import { randomBytes } from 'node:crypto';
import { connect, quoteId, quoteQualified, sql, type Target } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/** Deterministic generator of awkward names: quotes, backticks, BMP unicode, spaces, 64 characters. */
function* awkwardNames(count: number): Generator<string> {
  const pieces = [
    '`',
    '``',
    "'",
    '"',
    '\\',
    ';',
    ' ',
    '-',
    'é',
    'ß',
    'Ω',
    '中文',
    'Ж',
    '%',
    '_',
    '.',
    '/',
    '*',
    '#',
    '--',
    'a',
    'Z',
    '0',
    '$',
  ];
  const plainPieces = ['a', 'Z', '0', '_', '$', 'q', 'x'];
  let seed = 0x9e3779b9;
  const next = () => {
    // xorshift32: integer-only, so the sequence never degrades into a short float cycle
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const seen = new Set<string>();
  while (seen.size < count) {
    // Special characters take up to 5 bytes in the server's file names (`@0060`) and file names end at
    // 255 bytes, so the longest names are built from plain characters only.
    const plain = seen.size % 10 === 0;
    const length = plain ? 64 : 1 + (next() % 48);
    const alphabet = plain ? plainPieces : pieces;
    let name = '';
    while ([...name].length < length) name += alphabet[next() % alphabet.length];
    name = [...name].slice(0, length).join('').trimEnd();
    // Names differing only by case would collide on case-insensitive file systems and collations.
    if (name && !seen.has(name.toLowerCase())) seen.add(name.toLowerCase()) && (yield name);
  }
}

describe('identifier quoting against a real server', () => {
  let target: Target;
  const schema = `rbt_quote_${randomBytes(3).toString('hex')}`;
  beforeAll(async () => {
    target = await connect(inject('mysqlUrl'));
    await sql
      .raw(`CREATE DATABASE ${quoteId(schema)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
      .execute(target.db);
  });
  afterAll(async () => {
    await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(target.db);
    await target.close();
  });

  it('creates, writes and reads a table and column for each of 1,000 generated names', async () => {
    const names = [...awkwardNames(1000)];
    expect(names.some((n) => [...n].length === 64)).toBe(true);
    await target.db.connection().execute(async (pinned) => {
      for (const [i, name] of names.entries()) {
        const table = quoteQualified(schema, name);
        await sql
          .raw(
            `CREATE TABLE ${table} (${quoteId('id')} INT PRIMARY KEY, ${quoteId(name === 'id' ? 'v' : name)} VARCHAR(100))`,
          )
          .execute(pinned);
        await sql`INSERT INTO ${sql.raw(table)} VALUES (${i}, ${[...name].slice(0, 25).join('')})`.execute(
          pinned,
        );
        const back = await sql<Record<string, unknown>>`SELECT * FROM ${sql.raw(table)}`.execute(pinned);
        expect(back.rows).toEqual([{ id: i, [name === 'id' ? 'v' : name]: [...name].slice(0, 25).join('') }]);
      }
    });
    const listed = await sql<{
      n: number;
    }>`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema}`.execute(target.db);
    expect(Number(listed.rows[0]!.n)).toBe(1000);
  });
});
