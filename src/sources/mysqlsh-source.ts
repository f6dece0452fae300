import { SourceError } from '../errors/index.ts';
import { FROM_MYSQLSH } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { openByteInput } from './byte-input.ts';
import { dirDumpStorage } from './dir-dump-storage.ts';
import { classifyStatement } from './dump-statement.ts';
import type { DumpStorage } from './dump-storage.ts';
import { asSourceError, type LandingTable, LandingZone } from './landing-zone.ts';
import { defaultLoadMethod, type LoadMethod } from './load-session.ts';
import {
  findShellTable,
  openShellDump,
  type ShellDumpInfo,
  type ShellDumpTable,
} from './mysqlsh-dump-dir.ts';
import { ParallelLoads } from './parallel-loads.ts';
import { ProgressReporter } from './progress.ts';
import { resolveQualifiedTables } from './qualified-tables.ts';
import { type RowFilters, tsvKeySet } from './row-filter.ts';
import { type S3Options, s3DumpStorage } from './s3-dump-storage.ts';
import { isS3Url, parseS3Url } from './s3-location.ts';
import type { ExtractContext, ExtractResult, Source } from './source.ts';
import { sqlFileStatements } from './sql-file-statements.ts';
import { openTableLoader } from './table-loader.ts';
import { TsvRowAligner } from './tsv-row-aligner.ts';

export interface MysqlShellDumpOptions {
  /** Tables to extract. Every one must be in the dump. */
  readonly tables: readonly string[];
  /** The schema to take them from, when more than one schema of the dump has such a table. */
  readonly schema?: string;
  /** Workspace table names per source table, instead of the context's naming. */
  readonly into?: Readonly<Record<string, string>>;
  /** Keep only rows whose key is in a set, per table. */
  readonly rows?: RowFilters;
  /** Read a dump without `@.done.json` (still running or cut off). Its tables may be incomplete. */
  readonly allowIncomplete?: boolean;
  readonly method?: LoadMethod;
  /** How to reach an `s3://` dump; unset fields come from the AWS SDK's standard chain. */
  readonly s3?: S3Options;
}

/**
 * A MySQL Shell `util.dumpInstance` / `dumpSchemas` / `dumpTables` dump (what the MySQL Operator for
 * Kubernetes writes) as a backup source, read without `mysqlsh`: DDL from `<schema>@<table>.sql`, data
 * chunks (zstd, gzip or plain) streamed into LOAD DATA LOCAL INFILE with the dump's own options. The
 * dump is a directory, or an `s3://bucket/prefix` read in place (only the metadata and the selected
 * tables' files are fetched).
 *
 * @example
 * const backup = await r.extract('backup', fromMysqlShellDump('/backups/wp-2026-11-25', {
 *   tables: ['wp_users', 'wp_usermeta'], schema: 'wordpress',
 * }));
 * const fromS3 = fromMysqlShellDump('s3://backups/mysql/backup-20261125', {
 *   tables: ['wp_users'], s3: { endpoint: 'https://minio.backup:9000', forcePathStyle: true },
 * });
 */
export function fromMysqlShellDump(dir: string, given: MysqlShellDumpOptions): Source {
  checkCall(FROM_MYSQLSH, { dir, options: given });
  const { schema, tables } = resolveQualifiedTables(
    'fromMysqlShellDump',
    given.tables,
    given.schema,
    'schema',
  );
  const options: MysqlShellDumpOptions = { ...given, tables, ...(schema === undefined ? {} : { schema }) };
  if (isS3Url(dir)) parseS3Url(dir);
  return Object.freeze({
    kind: 'mysqlsh' as const,
    description: `MySQL Shell dump ${dir}`,
    extract: (context: ExtractContext) => extractShellDump(dir, options, context),
  });
}

/** LOAD DATA connections per large table (fan-out-sink.ts). */
const LOAD_STREAMS = 2;

async function extractShellDump(
  location: string,
  options: MysqlShellDumpOptions,
  context: ExtractContext,
): Promise<ExtractResult> {
  const allowIncomplete = options.allowIncomplete === true;
  // Before the landing zone, so a storage that cannot be set up leaves nothing to drop. (Until its
  // first request an SDK client holds no connection: a failed open below leaks nothing.)
  const storage = isS3Url(location) ? await s3DumpStorage(location, options.s3) : dirDumpStorage(location);
  const zone = await LandingZone.open(context);
  const loads = new ParallelLoads();
  const method = options.method ?? defaultLoadMethod(context.target);
  const landed: LandingTable[] = [];
  const progress = new ProgressReporter(context.onProgress, null);
  let bytesRead = 0;
  let rows = 0;
  try {
    const dump = await openShellDump(storage, allowIncomplete);
    const found: ShellDumpTable[] = [];
    for (const table of options.tables)
      found.push(await findShellTable(dump, table, options.schema, allowIncomplete));
    for (const table of found) {
      const target = zone.tableFor(table.table, table.schema, options.into?.[table.table]);
      const ddl = await zone.createFromDdl(
        target,
        await createTableOf(storage, table),
        storage.where(table.ddlFile),
        {
          dropAutoIncrement: method === 'load-data',
        },
      );
      const landing: LandingTable = { sourceSchema: table.schema, sourceTable: table.table, table: target };
      landed.push(landing);
      const sink = await openTableLoader(context.target, {
        table: target,
        columns: table.columns.map((name) => {
          const decode = table.decodeColumns[name];
          return decode === 'FROM_BASE64' || decode === 'UNHEX' ? { name, decode } : { name };
        }),
        dataCharset: table.characterSet,
        timeZone: dump.started.tzUtc === false ? null : '+00:00',
        duplicates: 'error',
        method,
        streams: ddl.generatesIds ? 1 : LOAD_STREAMS,
      });
      loads.track(sink);
      const aligner = new TsvRowAligner(keyFilter(table, options.rows));
      let tableBytes = 0;
      for (const file of table.dataFiles) {
        const input = await openByteInput(storage.stream(file), storage.where(file));
        for await (const chunk of input.chunks()) {
          context.signal?.throwIfAborted();
          tableBytes += chunk.length;
          const batch = aligner.push(chunk);
          if (batch.count > 0) await sink.write(batch.rows, batch.count);
          rows += batch.count;
          progress.report(table.table, bytesRead + tableBytes, rows);
        }
        if (aligner.leftover > 0) {
          throw new SourceError(
            `${storage.where(file)}: the last row has no line terminator (the chunk was cut off)`,
            { facts: { file: storage.where(file), offset: tableBytes, kind: 'truncated' } },
          );
        }
      }
      bytesRead += tableBytes;
      checkSize(dump, table, tableBytes, allowIncomplete);
      await loads.finish(sink, (taken) => {
        if (!options.rows?.[table.table] && table.rows !== null && taken !== table.rows && !allowIncomplete) {
          throw new SourceError(
            `${table.schema}.${table.table}: @.done.json says ${table.rows} rows, the data files hold ${taken}`,
            {
              facts: { expected: table.rows, found: taken },
            },
          );
        }
        zone.landed(landing);
      });
    }
    await loads.settle();
    progress.report(null, bytesRead, rows, true);
    const tables = await zone.finish(landed);
    return Object.freeze({
      tables: Object.freeze(tables),
      provenance: Object.freeze(provenanceOf(dump, allowIncomplete)),
      ddlChanges: Object.freeze([...zone.ddlChanges]),
    });
  } catch (error) {
    await loads.abort();
    await zone.dropAll();
    throw asSourceError(error, location, { location });
  } finally {
    storage.close();
  }
}

async function createTableOf(storage: DumpStorage, table: ShellDumpTable): Promise<string> {
  const file = storage.where(table.ddlFile);
  const bytes = await storage.read(table.ddlFile);
  if (bytes === null) {
    throw new SourceError(`${file}: cannot read it (no such file)`, {
      facts: { file, expected: 'the DDL file of the table', found: 'none' },
    });
  }
  for (const { text } of sqlFileStatements(file, bytes)) {
    const statement = classifyStatement(text);
    if (statement.kind === 'create-table') return statement.text;
  }
  throw new SourceError(`${file}: no CREATE TABLE statement`, {
    facts: { file, expected: 'CREATE TABLE', found: 'none' },
  });
}

function keyFilter(table: ShellDumpTable, filters: RowFilters | undefined) {
  const filter = filters?.[table.table];
  if (!filter) return null;
  const field = table.columns.findIndex((c) => c.toLowerCase() === filter.column.toLowerCase());
  if (field < 0) {
    throw new SourceError(`row filter column ${filter.column} is not a column of ${table.table}`, {
      facts: { table: table.table, column: filter.column, columns: table.columns },
    });
  }
  // An encoded key column holds base64 / hex text of the bytes.
  const decode = table.decodeColumns[table.columns[field]!];
  const encode =
    decode === 'FROM_BASE64'
      ? (b: Uint8Array) => Buffer.from(Buffer.from(b).toString('base64'), 'latin1')
      : decode === 'UNHEX'
        ? (b: Uint8Array) => Buffer.from(Buffer.from(b).toString('hex').toUpperCase(), 'latin1')
        : undefined;
  return { field, keys: tsvKeySet(filter.keys, encode) };
}

/** `tableDataBytes` in `@.done.json` is the uncompressed size of a table's data: anything else is damage. */
function checkSize(
  dump: ShellDumpInfo,
  table: ShellDumpTable,
  bytes: number,
  allowIncomplete: boolean,
): void {
  if (table.dataBytes === null || allowIncomplete || bytes === table.dataBytes) return;
  throw new SourceError(
    `${dump.storage.location}: the data files of ${table.schema}.${table.table} hold ${bytes} bytes, @.done.json says ${table.dataBytes}`,
    { facts: { expected: table.dataBytes, found: bytes, files: table.dataFiles } },
  );
}

function provenanceOf(dump: ShellDumpInfo, allowIncomplete: boolean): Record<string, unknown> {
  const s = dump.started;
  const pick = (key: string) => (s[key] === undefined ? {} : { [key]: s[key] });
  return {
    source: 'mysqlsh',
    ...dump.storage.provenance(),
    ...pick('dumper'),
    formatVersion: s.version,
    ...pick('origin'),
    ...pick('serverVersion'),
    ...pick('hostname'),
    ...pick('gtidExecuted'),
    ...pick('binlogFile'),
    ...pick('binlogPosition'),
    ...pick('consistent'),
    ...pick('tzUtc'),
    ...pick('begin'),
    end: dump.done?.end ?? null,
    complete: dump.done !== null,
    ...(allowIncomplete && dump.done === null
      ? { warning: 'incomplete dump read on purpose (allowIncomplete)' }
      : {}),
  };
}
