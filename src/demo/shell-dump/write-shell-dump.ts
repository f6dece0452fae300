import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { GENERATED_COLUMN_CONDITION, quoteId, quoteQualified, type Target } from '../../db/index.ts';
import { encodeBasename } from './basename.ts';
import { type ChunkFile, ChunkWriter } from './chunk-writer.ts';
import { tsvField } from './tsv.ts';

/** The dump format version MySQL Shell 8.0.27 … 9.x writes (`DUMP_VERSION` in schema_dumper.cc). */
export const SHELL_DUMP_VERSION = '2.0.1';
const DUMPER = `rowback incident builder (MySQL Shell dump format ${SHELL_DUMP_VERSION})`;
const PAGE_ROWS = 5000;

export interface ShellDumpOptions {
  readonly schema: string;
  /** Created if missing; must not already hold a dump. */
  readonly dir: string;
  /** Uncompressed bytes per chunk file; MySQL Shell's default is 64 MB. */
  readonly bytesPerChunk?: number;
  /** The clock for `begin` / `end`; injectable so a test can pin it. */
  readonly now?: () => Date;
}

export interface ShellDumpTable {
  readonly rows: number;
  readonly dataBytes: number;
  readonly files: readonly string[];
}

export interface ShellDumpResult {
  readonly dir: string;
  readonly tables: Readonly<Record<string, ShellDumpTable>>;
}

interface ColumnInfo {
  readonly name: string;
  readonly binary: boolean;
}

/**
 * Writes a `util.dumpSchemas([schema])`-style MySQL Shell dump directory of one schema, as the MySQL
 * Operator's backups are: `@.json`, `@.sql`, `@.post.sql`, `<schema>.json/.sql`, per table
 * `<schema>@<table>.json/.sql` and zstd TSV chunks with `.idx`, then `@.done.json` last (its absence
 * marks an incomplete dump). Read in one consistent snapshot, keyset-paged by primary key, so memory
 * stays bounded by one chunk. See fixtures/real/MYSQLSH-DUMP-FORMAT.md in the shared folder.
 */
export async function writeShellDump(target: Target, options: ShellDumpOptions): Promise<ShellDumpResult> {
  const { schema, dir } = options;
  const now = options.now ?? (() => new Date());
  const bytesPerChunk = options.bytesPerChunk ?? 64_000_000;
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).includes('@.json')) throw new Error(`${dir} already holds a dump (@.json exists)`);
  const begin = stamp(now());
  const schemaBase = encodeBasename(schema);
  const header = (table?: string) =>
    `-- MySQLShell dump ${SHELL_DUMP_VERSION}  Distrib ${DUMPER}\n--\n` +
    `-- Host: ${target.server.hostname}${table === undefined ? '' : `    Database: ${schema}`}${table ? `    Table: ${table}` : ''}\n` +
    `-- ------------------------------------------------------\n-- Server version\t${target.server.version}\n`;

  const tables: Record<string, ShellDumpTable> = {};
  const chunkFileBytes: Record<string, number> = {};
  await target.db.connection().execute(async (db) => {
    await sql`SET SESSION time_zone = '+00:00'`.execute(db);
    await sql`START TRANSACTION WITH CONSISTENT SNAPSHOT`.execute(db);
    try {
      const names = await listTables(db, schema);
      await writeJson(dir, '@.json', {
        dumper: DUMPER,
        version: SHELL_DUMP_VERSION,
        origin: 'dumpSchemas',
        options: { bytesPerChunk: String(bytesPerChunk), compression: 'zstd', consistent: true, threads: 1 },
        schemas: [schema],
        basenames: { [schema]: schemaBase },
        defaultCharacterSet: 'utf8mb4',
        tzUtc: true,
        bytesPerChunk,
        user: target.options.user,
        hostname: target.server.hostname,
        server: target.server.hostname,
        serverVersion: target.server.versionString,
        gtidExecuted: '',
        gtidExecutedInconsistent: false,
        consistent: true,
        compatibilityOptions: [],
        capabilities: [],
        begin,
      });
      await writeFile(join(dir, '@.sql'), header());
      await writeFile(join(dir, '@.post.sql'), header());
      await writeJson(dir, `${schemaBase}.json`, {
        schema,
        includesDdl: true,
        includesViewsDdl: true,
        includesData: true,
        tables: names,
        views: [],
        events: [],
        functions: [],
        procedures: [],
        basenames: Object.fromEntries(names.map((name) => [name, `${schemaBase}@${encodeBasename(name)}`])),
      });
      await writeFile(
        join(dir, `${schemaBase}.sql`),
        `${header('')}\n--\n-- Current Database: ${quoteId(schema)}\n--\n\n` +
          `CREATE DATABASE /*!32312 IF NOT EXISTS*/ ${quoteId(schema)} /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n\n` +
          `USE ${quoteId(schema)};\n`,
      );
      for (const name of names) {
        const basename = `${schemaBase}@${encodeBasename(name)}`;
        const result = await dumpTable(db, {
          schema,
          name,
          dir,
          basename,
          bytesPerChunk,
          header: header(name),
        });
        tables[name] = {
          rows: result.rows,
          dataBytes: result.files.reduce((sum, f) => sum + f.dataBytes, 0),
          files: result.files.map((f) => f.name),
        };
        for (const file of result.files) chunkFileBytes[file.name] = file.dataBytes;
      }
    } finally {
      await sql`COMMIT`.execute(db);
    }
  });
  const tableNames = Object.keys(tables);
  await writeJson(dir, '@.done.json', {
    end: stamp(now()),
    dataBytes: Object.values(tables).reduce((sum, t) => sum + t.dataBytes, 0),
    tableDataBytes: { [schema]: Object.fromEntries(tableNames.map((t) => [t, tables[t]!.dataBytes])) },
    tableRows: { [schema]: Object.fromEntries(tableNames.map((t) => [t, tables[t]!.rows])) },
    chunkFileBytes,
  });
  return Object.freeze({ dir, tables: Object.freeze(tables) });
}

async function listTables(db: Kysely<any>, schema: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${schema} AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`.execute(db);
  return rows.map((r) => r.name);
}

interface TableDump {
  readonly schema: string;
  readonly name: string;
  readonly dir: string;
  readonly basename: string;
  readonly bytesPerChunk: number;
  readonly header: string;
}

async function dumpTable(
  db: Kysely<any>,
  t: TableDump,
): Promise<{ rows: number; files: readonly ChunkFile[] }> {
  const columns = await readColumns(db, t.schema, t.name);
  const primary = await readPrimaryKey(db, t.schema, t.name);
  if (primary.length === 0) throw new Error(`table ${t.schema}.${t.name} has no primary key`);
  const binary = columns.filter((c) => c.binary).map((c) => c.name);
  await writeJson(t.dir, `${t.basename}.json`, {
    options: {
      schema: t.schema,
      table: t.name,
      columns: columns.map((c) => c.name),
      ...(binary.length ? { decodeColumns: Object.fromEntries(binary.map((c) => [c, 'FROM_BASE64'])) } : {}),
      defaultCharacterSet: 'utf8mb4',
      fieldsTerminatedBy: '\t',
      fieldsEnclosedBy: '',
      fieldsOptionallyEnclosed: false,
      fieldsEscapedBy: '\\',
      linesTerminatedBy: '\n',
    },
    triggers: [],
    includesData: true,
    includesDdl: true,
    extension: 'tsv.zst',
    chunking: true,
    compression: 'zstd',
    primaryIndex: primary,
    partitions: [],
    basenames: {},
  });
  const created = await sql<
    Record<string, string>
  >`SHOW CREATE TABLE ${sql.raw(quoteQualified(t.schema, t.name))}`.execute(db);
  const ddl = String(Object.values(created.rows[0] ?? {})[1]).replace(
    /^CREATE TABLE/,
    'CREATE TABLE IF NOT EXISTS',
  );
  await writeFile(
    join(t.dir, `${t.basename}.sql`),
    `${t.header}\n--\n-- Table structure for table ${quoteId(t.name)}\n--\n\n` +
      '/*!40101 SET @saved_cs_client     = @@character_set_client */;\n' +
      '/*!50503 SET character_set_client = utf8mb4 */;\n' +
      `${ddl};\n/*!40101 SET character_set_client = @saved_cs_client */;\n`,
  );

  const writer = new ChunkWriter(t.dir, t.basename, t.bytesPerChunk);
  const select = columns.map((c) => quoteId(c.name)).join(', ');
  const order = primary.map(quoteId).join(', ');
  const table = quoteQualified(t.schema, t.name);
  let after: unknown[] | null = null;
  let rows = 0;
  for (;;) {
    const where: ReturnType<typeof sql> =
      after === null ? sql`` : sql`WHERE (${sql.raw(order)}) > (${sql.join(after)})`;
    const page = await sql<Record<string, unknown>>`
      SELECT ${sql.raw(select)} FROM ${sql.raw(table)} ${where} ORDER BY ${sql.raw(order)} LIMIT ${sql.lit(PAGE_ROWS)}`.execute(
      db,
    );
    for (const row of page.rows) {
      const line = `${columns.map((c) => tsvField(row[c.name])).join('\t')}\n`;
      await writer.addRow(Buffer.from(line, 'utf8'));
    }
    rows += page.rows.length;
    if (page.rows.length < PAGE_ROWS) break;
    const last = page.rows[page.rows.length - 1]!;
    after = primary.map((c) => last[c]);
  }
  return { rows, files: await writer.finish() };
}

async function readColumns(db: Kysely<any>, schema: string, table: string): Promise<ColumnInfo[]> {
  const { rows } = await sql<{ name: string; type: string }>`
    SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS type FROM information_schema.COLUMNS c
    WHERE c.TABLE_SCHEMA = ${schema} AND c.TABLE_NAME = ${table} AND NOT ${sql.raw(GENERATED_COLUMN_CONDITION)}
    ORDER BY c.ORDINAL_POSITION`.execute(db);
  // MySQL Shell encodes these (`csv_unsafe`): raw bytes must never meet the TSV escaping.
  return rows.map((r) => ({ name: r.name, binary: /(binary|blob)$|^bit$|^geometry/i.test(r.type) }));
}

async function readPrimaryKey(db: Kysely<any>, schema: string, table: string): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${table} AND INDEX_NAME = 'PRIMARY'
    ORDER BY SEQ_IN_INDEX`.execute(db);
  return rows.map((r) => r.name);
}

/** MySQL Shell's rapidjson PrettyWriter indents by four spaces. */
async function writeJson(dir: string, name: string, value: unknown): Promise<void> {
  await writeFile(join(dir, name), JSON.stringify(value, null, 4));
}

/** `YYYY-MM-DD hh:mm:ss` in UTC, the format of `begin` / `end`. */
function stamp(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
