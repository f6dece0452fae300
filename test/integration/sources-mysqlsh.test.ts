import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rename, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, zstdDecompressSync } from 'node:zlib';
import { fromMysqlShellDump, quoteId } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { checksum, clientLoad, loadMethods, REAL, tablesOf, workspace } from './sources-helpers.ts';

const DIR = `${REAL}mysqlsh-dump-8.0.21-dumpInstance`;

interface TableMeta {
  schema: string;
  table: string;
  basename: string;
  columns: string[];
  decode: Record<string, string>;
  files: string[];
}

/** Every table of the dump with data, read straight from the JSON files (independently of rowback). */
async function tablesWithData(): Promise<TableMeta[]> {
  const started = JSON.parse(await readFile(`${DIR}/@.json`, 'utf8'));
  const done = JSON.parse(await readFile(`${DIR}/@.done.json`, 'utf8'));
  const files = await readdir(DIR);
  const out: TableMeta[] = [];
  for (const schema of started.schemas as string[]) {
    const meta = JSON.parse(await readFile(`${DIR}/${schema}.json`, 'utf8'));
    for (const table of meta.tables as string[]) {
      if (!done.tableDataBytes[schema][table]) continue;
      const basename = meta.basenames[table];
      const t = JSON.parse(await readFile(`${DIR}/${basename}.json`, 'utf8'));
      out.push({
        schema,
        table,
        basename,
        columns: t.options.columns,
        decode: t.options.decodeColumns ?? {},
        files: files.filter(
          (f) => f.endsWith('.tsv.zst') && (f === `${basename}.tsv.zst` || f.startsWith(`${basename}@`)),
        ),
      });
    }
  }
  return out;
}

describe('fromMysqlShellDump on the real MySQL Shell 8.0.21 dumpInstance', () => {
  let ref: Awaited<ReturnType<typeof workspace>>;
  let tables: TableMeta[];
  const expected = new Map<string, string>();
  let scratch: string;

  beforeAll(async () => {
    tables = await tablesWithData();
    expect(tables.length).toBeGreaterThan(30);
    scratch = await mkdtemp(join(tmpdir(), 'rbt-mysqlsh-'));
    // Reference: the server's own client runs the DDL file and a hand-written LOAD DATA of the
    // zstd-decompressed chunks, with the dump's decodeColumns.
    ref = await workspace(inject('mysqlUrl'));
    for (const t of tables) {
      const name = `${t.schema}__${t.table}`;
      const ddl = (await readFile(`${DIR}/${t.basename}.sql`, 'utf8')).replace(
        /CREATE TABLE IF NOT EXISTS `(?:[^`]|``)+`/,
        `CREATE TABLE ${quoteId(name)}`,
      );
      await clientLoad(inject('mysqlUrl'), ref.schema, { text: ddl });
      for (const file of t.files) {
        const tsv = join(scratch, `${name}.tsv`);
        execFileSync('sh', ['-c', `zstd -dcq "$1" > "$2"`, 'sh', join(DIR, file), tsv]);
        const fields = t.columns.map((c, i) => (t.decode[c] ? `@v${i}` : quoteId(c)));
        const sets = t.columns.flatMap((c, i) =>
          t.decode[c] ? [`${quoteId(c)} = ${t.decode[c]}(@v${i})`] : [],
        );
        await clientLoad(inject('mysqlUrl'), ref.schema, {
          text: `SET time_zone = '+00:00'; SET sql_mode = ''; LOAD DATA LOCAL INFILE '${tsv}' INTO TABLE ${quoteId(name)} CHARACTER SET utf8mb4 (${fields.join(', ')})${sets.length ? ` SET ${sets.join(', ')}` : ''};`,
        });
      }
      expected.set(name, await checksum(ref.target, ref.schema, name));
    }
  });
  afterAll(async () => {
    await ref?.drop();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  for (const method of loadMethods()) {
    it(`every table with data (${method}) has the checksum of the client's load, and the provenance of the dump`, async () => {
      const ws = await workspace(inject('mysqlUrl'));
      try {
        for (const t of tables) {
          const result = await fromMysqlShellDump(DIR, {
            tables: [t.table],
            schema: t.schema,
            method,
          }).extract({
            ...ws.context,
            tableName: (table, schema) => `${schema}__${table}`,
          });
          const landed = result.tables[0]!;
          expect({ table: `${t.schema}.${t.table}`, checksum: landed.checksum }).toEqual({
            table: `${t.schema}.${t.table}`,
            checksum: expected.get(`${t.schema}__${t.table}`),
          });
          expect(result.provenance).toMatchObject({
            source: 'mysqlsh',
            gtidExecuted: '2d75bd50-5781-11ec-86fb-a4bb6dd118c2:1-5628',
            serverVersion: '5.7.33-enterprise-commercial-advanced-log',
            begin: '2021-12-07 18:16:56',
            end: '2021-12-07 18:16:56',
            complete: true,
          });
        }
        const counts = await Promise.all(
          ['City', 'Country', 'CountryLanguage'].map(async (t) => {
            const r = await fromMysqlShellDump(DIR, { tables: [t], into: { [t]: `again_${t}` } }).extract(
              ws.context,
            );
            return r.tables[0]!.rows;
          }),
        );
        expect(counts).toEqual([4079, 239, 984]);
      } finally {
        await ws.drop();
      }
    });
  }

  it('filters rows by key, also on a base64-encoded column', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const result = await fromMysqlShellDump(DIR, {
        tables: ['City', 't_lob'],
        rows: {
          City: { column: 'ID', keys: [1, 2, 3, 4079, 999999] },
          t_lob: { column: 'c2', keys: [Buffer.from('blob-text readable')] },
        },
      }).extract(ws.context);
      expect(result.tables.map((t) => t.rows)).toEqual([4, 1]);
    } finally {
      await ws.drop();
    }
  });

  it('refuses an ambiguous table, an incomplete dump, a missing or cut chunk, and a dump without data', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    const copy = await mkdtemp(join(tmpdir(), 'rbt-mysqlsh-copy-'));
    try {
      await expect(fromMysqlShellDump(DIR, { tables: ['tbl1'] }).extract(ws.context)).rejects.toThrow(
        /more than one schema/,
      );
      await expect(fromMysqlShellDump(DIR, { tables: ['nope'] }).extract(ws.context)).rejects.toThrow(
        /table nope is not in the dump/,
      );
      await cp(DIR, copy, { recursive: true });
      await unlink(join(copy, '@.done.json'));
      await expect(fromMysqlShellDump(copy, { tables: ['City'] }).extract(ws.context)).rejects.toThrow(
        /incomplete \(no @\.done\.json/,
      );
      const partial = await fromMysqlShellDump(copy, { tables: ['City'], allowIncomplete: true }).extract(
        ws.context,
      );
      expect(partial.provenance).toMatchObject({ complete: false });
      expect(partial.tables[0]!.rows).toBe(4079);

      await cp(DIR, copy, { recursive: true, force: true });
      await rename(join(copy, 'world@City@@0.tsv.zst'), join(copy, 'world@City@0.tsv.zst'));
      await expect(
        fromMysqlShellDump(copy, { tables: ['City'], into: { City: 'c2' } }).extract(ws.context),
      ).rejects.toThrow(/chunks of world@City are incomplete/);
      await rename(join(copy, 'world@City@0.tsv.zst'), join(copy, 'world@City@@0.tsv.zst'));
      await truncate(join(copy, 'world@City@@0.tsv.zst'), 20000);
      await expect(
        fromMysqlShellDump(copy, { tables: ['City'], into: { City: 'c3' } }).extract(ws.context),
      ).rejects.toThrow(/truncated|cut off/);

      const noData = fromMysqlShellDump(`${REAL}mysqlsh-dump-8.0.21-test_dump1-metadata-only`, {
        tables: ['Users'],
      }).extract({ ...ws.context, tableName: () => 'so_users' });
      await expect(noData).rejects.toThrow(/no data files for stackoverflow\.Users/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual(['b__City']);
    } finally {
      await rm(copy, { recursive: true, force: true });
      await ws.drop();
    }
  });
});

/**
 * No licensed 2.0.x dump exists to copy (see MYSQLSH-DUMP-FORMAT.md), so this one is built from the
 * 1.0.0 sample's world.City, laid out as format 2.0.1 writes it: top-level compression and
 * primaryIndex array, gzip chunks @0 and @@1, tableRows in @.done.json.
 */
describe('fromMysqlShellDump on a 2.0.1-layout dump', () => {
  it('reads gzip chunks, checks tableRows, and lands the same table as the 1.0.0 dump', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    const dir = await mkdtemp(join(tmpdir(), 'rbt-mysqlsh-2-'));
    try {
      const tsv = zstdDecompressSync(await readFile(join(DIR, 'world@City@@0.tsv.zst')));
      const half = tsv.indexOf(10, tsv.length >> 1) + 1;
      const city = JSON.parse(await readFile(join(DIR, 'world@City.json'), 'utf8'));
      const { compression: _c, primaryIndex: _p, ...options } = city.options;
      const write = (file: string, value: unknown) =>
        writeFile(
          join(dir, file),
          typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value),
        );
      await write('@.json', {
        dumper: 'mysqlsh Ver 8.0.43',
        version: '2.0.1',
        origin: 'dumpSchemas',
        schemas: ['shop'],
        basenames: { shop: 'shop' },
        defaultCharacterSet: 'utf8mb4',
        tzUtc: true,
        serverVersion: '8.0.43',
        binlogFile: 'binlog.000042',
        binlogPosition: 1234,
        gtidExecuted: 'aaaa:1-9',
        begin: '2026-11-25 01:00:00',
        capabilities: [],
      });
      await write('shop.json', { schema: 'shop', tables: ['city'], basenames: { city: 'shop@city' } });
      await write('shop@city.json', {
        options: { ...options, schema: 'shop', table: 'city' },
        triggers: [],
        includesData: true,
        includesDdl: true,
        extension: 'tsv.gz',
        chunking: true,
        compression: 'gzip',
        primaryIndex: ['ID'],
        partitions: [],
        basenames: {},
      });
      await write('shop@city.sql', await readFile(join(DIR, 'world@City.sql')));
      await write('shop@city@0.tsv.gz', gzipSync(tsv.subarray(0, half)));
      await write('shop@city@@1.tsv.gz', gzipSync(tsv.subarray(half)));
      const done = {
        end: '2026-11-25 01:02:00',
        dataBytes: tsv.length,
        tableDataBytes: { shop: { city: tsv.length } },
      };
      await write('@.done.json', { ...done, tableRows: { shop: { city: 4079 } } });

      const two = await fromMysqlShellDump(dir, { tables: ['city'] }).extract(ws.context);
      const one = await fromMysqlShellDump(DIR, { tables: ['City'] }).extract(ws.context);
      expect(two.tables[0]!.rows).toBe(4079);
      expect(two.tables[0]!.checksum).toBe(one.tables[0]!.checksum);
      expect(two.provenance).toMatchObject({
        formatVersion: '2.0.1',
        binlogFile: 'binlog.000042',
        binlogPosition: 1234,
      });

      await write('@.done.json', { ...done, tableRows: { shop: { city: 4078 } } });
      await expect(
        fromMysqlShellDump(dir, { tables: ['city'], into: { city: 'again' } }).extract(ws.context),
      ).rejects.toThrow(/@\.done\.json says 4078 rows, the data files hold 4079/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual(['b__City', 'b__city'].sort());
    } finally {
      await rm(dir, { recursive: true, force: true });
      await ws.drop();
    }
  });
});
