import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { quoteId, sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIncident, type Incident, parseTsvField } from '../../src/demo/index.ts';
import { runClientTool } from '../support/mariadb-client.ts';

/** Small chunks, so the larger tables are split into several files like a real 64 MB-chunked dump. */
const BYTES_PER_CHUNK = 48 * 1024;

interface TableJson {
  readonly options: {
    readonly schema: string;
    readonly table: string;
    readonly columns: readonly string[];
    readonly fieldsTerminatedBy: string;
    readonly fieldsEscapedBy: string;
    readonly linesTerminatedBy: string;
    readonly defaultCharacterSet: string;
  };
  readonly extension: string;
  readonly chunking: boolean;
  readonly compression: string;
  readonly primaryIndex: readonly string[];
}

const readJson = async <T>(dir: string, name: string): Promise<T> =>
  JSON.parse(await readFile(join(dir, name), 'utf8')) as T;

/** The data files of one table, in chunk order, per the naming rule of the format document. */
function dataFiles(files: readonly string[], basename: string): string[] {
  const single = `${basename}.tsv.zst`;
  const chunk = new RegExp(`^${basename.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@(@?)(\\d+)\\.tsv\\.zst$`);
  const chunks = files
    .map((f) => ({ f, m: chunk.exec(f) }))
    .filter((x) => x.m)
    .map((x) => ({ file: x.f, last: x.m![1] === '@', index: Number(x.m![2]) }))
    .sort((a, b) => a.index - b.index);
  if (files.includes(single)) {
    expect(chunks).toEqual([]);
    return [single];
  }
  expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
  expect(chunks.map((c) => c.last)).toEqual(chunks.map((_, i) => i === chunks.length - 1));
  return chunks.map((c) => c.file);
}

/** Runs SQL through the server's own command-line client: an independent reader of the dump. */
function mariadbClient(url: string, schema: string, text: string): Promise<void> {
  return runClientTool('mariadb', url, ['--default-character-set=utf8mb4', '--local-infile=1', schema], {
    text,
  });
}

describe('incident shell dump (MySQL Shell dump format)', () => {
  let work: string;
  let live: Sandbox;
  let backup: Sandbox;
  let incident: Incident;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rb-shell-'));
    live = await createSandbox({ url: inject('mysqlUrl') });
    incident = await buildIncident(live.target, {
      users: 300,
      seed: 5,
      workDir: work,
      bytesPerChunk: BYTES_PER_CHUNK,
    });
    backup = await createSandbox({ url: inject('mysqlUrl') });
    await backup.load({ file: incident.backupFile });
  });

  afterAll(async () => {
    await live?.drop();
    await backup?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('has the dump-level metadata, written first and last', async () => {
    const dir = incident.shellDumpDir;
    const files = await readdir(dir);
    expect(files).toEqual(expect.arrayContaining(['@.json', '@.sql', '@.post.sql', '@.done.json']));
    expect(files.some((f) => f.endsWith('.dumping'))).toBe(false);
    const started = await readJson<Record<string, unknown>>(dir, '@.json');
    expect(Object.keys(started).slice(0, 5)).toEqual(['dumper', 'version', 'origin', 'options', 'schemas']);
    expect(started).toMatchObject({
      version: '2.0.1',
      origin: 'dumpSchemas',
      schemas: [incident.schema],
      basenames: { [incident.schema]: incident.schema },
      defaultCharacterSet: 'utf8mb4',
      tzUtc: true,
      bytesPerChunk: BYTES_PER_CHUNK,
      consistent: true,
    });
    expect(started.begin).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const schemaJson = await readJson<{
      tables: string[];
      basenames: Record<string, string>;
      schema: string;
    }>(dir, `${incident.schema}.json`);
    expect(schemaJson.schema).toBe(incident.schema);
    const { rows } = await sql<{ name: string }>`
      SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${backup.schema}
      ORDER BY TABLE_NAME`.execute(backup.target.db);
    expect(schemaJson.tables).toEqual(rows.map((r) => r.name));
    for (const table of schemaJson.tables)
      expect(schemaJson.basenames[table]).toBe(`${incident.schema}@${table}`);
    expect(await readFile(join(dir, `${incident.schema}.sql`), 'utf8')).toContain(
      'CREATE DATABASE /*!32312 IF NOT EXISTS*/',
    );
  });

  it('holds every row of every table, byte-exact after unescaping, in well-formed chunks with .idx', async () => {
    const dir = incident.shellDumpDir;
    const files = await readdir(dir);
    const done = await readJson<{
      dataBytes: number;
      tableDataBytes: Record<string, Record<string, number>>;
      tableRows: Record<string, Record<string, number>>;
      chunkFileBytes: Record<string, number>;
    }>(dir, '@.done.json');
    const schemaJson = await readJson<{ tables: string[]; basenames: Record<string, string> }>(
      dir,
      `${incident.schema}.json`,
    );
    let multiChunk = 0;
    let allDataFiles: string[] = [];
    for (const table of schemaJson.tables) {
      const basename = schemaJson.basenames[table]!;
      const meta = await readJson<TableJson>(dir, `${basename}.json`);
      expect(meta.options).toMatchObject({
        schema: incident.schema,
        table,
        defaultCharacterSet: 'utf8mb4',
        fieldsTerminatedBy: '\t',
        fieldsEscapedBy: '\\',
        linesTerminatedBy: '\n',
      });
      expect(meta).toMatchObject({ extension: 'tsv.zst', compression: 'zstd', chunking: true });
      const columns = await sql<{ name: string }>`
        SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = ${backup.schema} AND TABLE_NAME = ${table} ORDER BY ORDINAL_POSITION`.execute(
        backup.target.db,
      );
      expect(meta.options.columns).toEqual(columns.rows.map((r) => r.name));
      const pk = await sql<{ name: string }>`
        SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
        WHERE TABLE_SCHEMA = ${backup.schema} AND TABLE_NAME = ${table} AND INDEX_NAME = 'PRIMARY'
        ORDER BY SEQ_IN_INDEX`.execute(backup.target.db);
      expect(meta.primaryIndex).toEqual(pk.rows.map((r) => r.name));
      expect(await readFile(join(dir, `${basename}.sql`), 'utf8')).toContain(
        `CREATE TABLE IF NOT EXISTS \`${table}\``,
      );

      const chunks = dataFiles(files, basename);
      allDataFiles = [...allDataFiles, ...chunks];
      if (chunks.length > 1) multiChunk++;
      let text = '';
      for (const chunk of chunks) {
        const data = zstdDecompressSync(await readFile(join(dir, chunk)));
        const idx = await readFile(join(dir, `${chunk}.idx`));
        expect(idx.length % 8).toBe(0);
        const offsets = Array.from({ length: idx.length / 8 }, (_, i) => Number(idx.readBigUInt64BE(i * 8)));
        expect(offsets.at(-1)).toBe(data.length);
        expect([...offsets].sort((a, b) => a - b)).toEqual(offsets);
        expect(done.chunkFileBytes[chunk]).toBe(data.length);
        expect(data.length === 0 || data.at(-1) === 0x0a).toBe(true);
        text += data.toString('utf8');
      }
      const lines = text === '' ? [] : text.slice(0, -1).split('\n');
      const rows = await backup.rows(table, { orderBy: [...meta.primaryIndex] });
      expect(lines.length, table).toBe(rows.length);
      expect(done.tableRows[incident.schema]![table]).toBe(rows.length);
      expect(done.tableDataBytes[incident.schema]![table]).toBe(Buffer.byteLength(text));
      const parsed = lines.map((line) => line.split('\t').map(parseTsvField));
      const expected = rows.map((row) =>
        meta.options.columns.map((c) => (row[c] === null ? null : String(row[c]))),
      );
      expect(parsed, table).toEqual(expected);
    }
    expect(multiChunk).toBeGreaterThanOrEqual(1);
    expect(Object.keys(done.chunkFileBytes).sort()).toEqual(allDataFiles.sort());
    expect(done.dataBytes).toBe(Object.values(done.chunkFileBytes).reduce((a, b) => a + b, 0));
  });

  it("loads back through the server's own LOAD DATA into the backup's exact rows", async () => {
    const dir = incident.shellDumpDir;
    const files = await readdir(dir);
    const scratch = await mkdtemp(join(tmpdir(), 'rb-shell-load-'));
    try {
      const schemaJson = await readJson<{ tables: string[]; basenames: Record<string, string> }>(
        dir,
        `${incident.schema}.json`,
      );
      for (const table of ['wp_users', 'wp_usermeta', 'wp_ep_participants', 'wp_ep_results', 'wp_options']) {
        const basename = schemaJson.basenames[table]!;
        const meta = await readJson<TableJson>(dir, `${basename}.json`);
        const copy = `ld_${table}`;
        const ddl = (await readFile(join(dir, `${basename}.sql`), 'utf8')).replace(
          `CREATE TABLE IF NOT EXISTS ${quoteId(table)}`,
          `CREATE TABLE ${quoteId(copy)}`,
        );
        let script = `${ddl}\nSET time_zone = '+00:00';\n`;
        for (const [i, chunk] of dataFiles(files, basename).entries()) {
          const tsv = join(scratch, `${table}-${i}.tsv`);
          await writeFile(tsv, zstdDecompressSync(await readFile(join(dir, chunk))));
          script +=
            `LOAD DATA LOCAL INFILE '${tsv}' INTO TABLE ${quoteId(copy)} CHARACTER SET utf8mb4 ` +
            `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${meta.options.columns.map(quoteId).join(', ')});\n`;
        }
        await mariadbClient(inject('mysqlUrl'), backup.schema, script);
        const sum = async (name: string) => {
          const { rows } = await sql
            .raw<{ Checksum: string }>(`CHECKSUM TABLE ${quoteId(backup.schema)}.${quoteId(name)} EXTENDED`)
            .execute(backup.target.db);
          return String(rows[0]?.Checksum);
        };
        expect(await backup.rows(copy, { orderBy: [...meta.primaryIndex] }), table).toEqual(
          await backup.rows(table, { orderBy: [...meta.primaryIndex] }),
        );
        expect(await sum(copy), table).toBe(await sum(table));
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
