import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExtractProgress, fromMysqldump, isErrorNamed, sql } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { REAL, tablesOf, workspace } from './sources-helpers.ts';

const DEFAULT_DUMP = `${REAL}mysqldump-mariadb-10.11-default.sql`;

describe('sources: failures leave nothing behind', () => {
  it('every cut of a real dump, plain or gzip, is a SourceError and the workspace stays empty', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    const scratch = await mkdtemp(join(tmpdir(), 'rbt-cuts-'));
    try {
      const files = [DEFAULT_DUMP, `${DEFAULT_DUMP}.gz`].map((f) => readFileSync(f));
      const cases = Number(process.env.ROWBACK_FUZZ_DB_CASES ?? 24);
      for (let k = 0; k < cases; k++) {
        const bytes = files[k % 2]!;
        // Spread over the file, including inside the tables being loaded.
        const cut = Math.floor(((k + 0.5) / cases) * bytes.length);
        const file = join(scratch, `cut-${k}.sql`);
        await writeFile(file, bytes.subarray(0, cut));
        const attempt = fromMysqldump(file, { tables: ['wp_users', 'wp_usermeta', 'wp_posts'] }).extract(
          ws.context,
        );
        const error = await attempt.then(
          () => null,
          (e: unknown) => e,
        );
        expect(
          isErrorNamed(error, 'SourceError'),
          `cut at ${cut} of ${k % 2 ? 'gzip' : 'plain'}: ${error}`,
        ).toBe(true);
        expect((error as Error).message).toContain(file);
        expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
      await ws.drop();
    }
  });

  it('DDL the workspace server rejects is a SourceError naming the table and the byte offset', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const dump = [
        'CREATE TABLE `ok` (`id` int PRIMARY KEY);',
        'INSERT INTO `ok` VALUES (1),(2);',
        'CREATE TABLE `bad` (`id` int PRIMARY KEY, `v` no_such_type(3));',
        'INSERT INTO `bad` VALUES (1, 2);',
        '',
      ].join('\n');
      const attempt = fromMysqldump(Buffer.from(dump), { tables: ['ok', 'bad'] }).extract(ws.context);
      await expect(attempt).rejects.toThrow(/rejected the DDL for b__bad \(from bytes at byte 75\)/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
    } finally {
      await ws.drop();
    }
  });

  it('reads a stream, reports progress, and gives a key-less table an invisible key when the server demands one', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const progress: ExtractProgress[] = [];
      const strict = {
        ...ws.context.target,
        server: { ...ws.context.target.server, requirePrimaryKey: true },
      };
      const dump = Buffer.from(
        "CREATE TABLE `log` (`msg` text, `at` datetime);\nINSERT INTO `log` VALUES ('a','2020-01-01 00:00:00'),('b',NULL);\n",
      );
      const result = await fromMysqldump(createReadStream(DEFAULT_DUMP), { tables: ['wp_users'] }).extract({
        ...ws.context,
        onProgress: (p) => progress.push(p),
      });
      expect(result.tables[0]!.rows).toBe(50);
      expect(progress.at(-1)).toMatchObject({ bytesRead: 177367, bytesTotal: null, rows: 50 });
      const keyed = await fromMysqldump([dump], { tables: ['log'] }).extract({
        ...ws.context,
        target: strict,
      });
      expect(keyed.ddlChanges).toEqual([
        'log: added invisible primary key rb_row_id (the table has none and the server requires one)',
      ]);
      const rows = await sql<{ msg: string; rb_row_id: string }>`
        SELECT msg, rb_row_id FROM ${sql.id(ws.schema, 'b__log')} ORDER BY rb_row_id`.execute(ws.target.db);
      expect(rows.rows).toEqual([
        { msg: 'a', rb_row_id: '1' },
        { msg: 'b', rb_row_id: '2' },
      ]);
    } finally {
      await ws.drop();
    }
  });
});
