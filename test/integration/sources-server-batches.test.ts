import { setTimeout as sleep } from 'node:timers/promises';
import { type ExtractProgress, fromServer, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checksum, loadMethods, tablesOf, workspace } from './sources-helpers.ts';

// Enough rows for several 1 MB batches (the reader pauses and resumes between them), every byte that
// LOAD DATA text escapes, NULLs, and one row larger than a batch.
const ROWS = 30_000;
const BIG_ROW_BYTES = 3 << 20;

describe('fromServer over many batches', () => {
  let live: Awaited<ReturnType<typeof workspace>>;
  let expected = '';

  beforeAll(async () => {
    live = await workspace(inject('mysqlUrl'));
    const db = live.target.db;
    await sql`CREATE TABLE ${sql.id(live.schema, 'many')} (
                id int PRIMARY KEY, note varchar(400) CHARACTER SET utf8mb4, payload longblob)`.execute(db);
    // Digits cross-joined rather than a recursive CTE: MySQL stops those at 1,000 levels by default.
    const digits =
      'SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9';
    await sql
      .raw(
        `INSERT INTO ${live.schema}.many (id, note, payload)
         SELECT n, CONCAT('row\\t', n, '\\n\\\\ é 😀 ', REPEAT('w', n % 200)),
                IF(n % 7 = 0, NULL, CONCAT(CHAR(0), UNHEX(HEX(n)), '\\t\\\\\\n', CHAR(0)))
           FROM (SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d + 10000 * f.d + 1 AS n
                   FROM (${digits}) a, (${digits}) b, (${digits}) c, (${digits}) e, (${digits}) f) nums
          WHERE n <= ${ROWS}`,
      )
      .execute(db);
    await sql`INSERT INTO ${sql.id(live.schema, 'many')} VALUES (${ROWS + 1}, 'big', REPEAT(CONCAT('ab\\t', CHAR(0)), ${BIG_ROW_BYTES / 4}))`.execute(
      db,
    );
    expected = await checksum(live.target, live.schema, 'many');
  });
  afterAll(async () => {
    await live?.drop();
  });

  it('sends a where with non-ASCII literals and parameters as written', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const ids = Array.from({ length: 2_000 }, (_, i) => sql.lit(i * 3 + 1));
      const result = await fromServer(inject('mysqlUrl'), {
        schema: live.schema,
        tables: ['many'],
        where: { many: sql`id IN (${sql.join(ids)}) AND note LIKE ${sql.lit('%é 😀%')} AND id <= ${300}` },
      }).extract(ws.context);
      expect(result.tables[0]?.rows).toBe(100);
    } finally {
      await ws.drop();
    }
  });

  it('a progress callback that throws fails the copy (no hang, no unhandled rejection) and leaves no table', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const copy = fromServer(inject('mysqlUrl'), { schema: live.schema, tables: ['many'] }).extract({
        ...ws.context,
        onProgress: () => {
          throw new Error('progress display broke');
        },
      });
      await expect(copy).rejects.toThrow(/progress display broke/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
      // The reader's connection is reset, not half-closed: no SELECT of the source keeps writing to it
      // (holding the table's metadata lock until net_write_timeout).
      const reading = async () =>
        Number(
          (
            await sql<{ n: number | string }>`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
              WHERE ID <> CONNECTION_ID() AND INFO LIKE ${`SELECT %${live.schema}%many%`}`.execute(
              ws.target.db,
            )
          ).rows[0]?.n ?? 0,
        );
      for (let tries = 0; tries < 40 && (await reading()) > 0; tries++) await sleep(50);
      expect(await reading()).toBe(0);
    } finally {
      await ws.drop();
    }
  });

  for (const method of loadMethods()) {
    it(`lands every batch byte-identical (${method})`, async () => {
      const ws = await workspace(inject('mysqlUrl'));
      try {
        const progress: ExtractProgress[] = [];
        const result = await fromServer(inject('mysqlUrl'), {
          schema: live.schema,
          tables: ['many'],
          method,
        }).extract({
          ...ws.context,
          onProgress: (p) => progress.push(p),
        });
        expect(result.tables[0]).toMatchObject({ rows: ROWS + 1, checksum: expected });
        // The final report counts every row and every byte of LOAD DATA text handed to the loader.
        const last = progress.at(-1);
        expect(last?.rows).toBe(ROWS + 1);
        expect(last?.bytesRead).toBeGreaterThan(BIG_ROW_BYTES + ROWS * 30);
      } finally {
        await ws.drop();
      }
    });
  }
});
