import { SourceError } from '../errors/index.ts';
import { FROM_MYSQLDUMP } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { type DumpInput, openByteInput } from './byte-input.ts';
import { DumpSelection } from './dump-selection.ts';
import { asSourceError, type LandingTable, LandingZone } from './landing-zone.ts';
import { defaultLoadMethod, type LoadMethod } from './load-session.ts';
import { MysqldumpTokenizer } from './mysqldump-tokenizer.ts';
import { ParallelLoads } from './parallel-loads.ts';
import { ProgressReporter } from './progress.ts';
import { resolveQualifiedTables } from './qualified-tables.ts';
import type { RowFilters } from './row-filter.ts';
import type { ExtractContext, ExtractResult, Source } from './source.ts';
import { openTableLoader, type RowSink } from './table-loader.ts';

/** LOAD DATA connections per large table (fan-out-sink.ts). */
const LOAD_STREAMS = 2;

export interface MysqldumpOptions {
  /** Tables to extract (names as in the dump). Every one must be in the dump. */
  readonly tables: readonly string[];
  /** The database to take them from, for `--databases` / `--all-databases` dumps (or to check the dump's). */
  readonly database?: string;
  /** Keep only rows whose key is in a set, per table: `{ wp_users: { column: 'ID', keys: [1, 2] } }`. */
  readonly rows?: RowFilters;
  /** Workspace table names per source table, instead of the context's naming. */
  readonly into?: Readonly<Record<string, string>>;
  /** `load-data` (LOAD DATA LOCAL INFILE, the default where the server allows it) or `insert`. */
  readonly method?: LoadMethod;
  /**
   * Where the table definitions are when the dump has none (`mysqldump --no-create-info`): a schema-only
   * dump (`--no-data`) or SQL file, read before the data.
   */
  readonly ddl?: DumpInput;
}

/**
 * A `mysqldump` / `mariadb-dump` file (plain, gzip or zstd, told by magic bytes) or byte stream as a
 * backup source. Streams: rows of the selected tables go to the server as they are read, in bounded
 * batches; other tables are skipped unparsed.
 *
 * @example
 * const backup = await r.extract('backup', fromMysqldump('/backups/wp-2026-11-25.sql.gz', {
 *   tables: ['wp_users', 'wp_usermeta'],
 *   rows: { wp_users: { column: 'ID', keys: collidedIds } },
 * }));
 */
export function fromMysqldump(input: DumpInput, given: MysqldumpOptions): Source {
  checkCall(FROM_MYSQLDUMP, { input, options: given });
  const { schema, tables } = resolveQualifiedTables(
    'fromMysqldump',
    given.tables,
    given.database,
    'database',
  );
  const options: MysqldumpOptions = {
    ...given,
    tables,
    ...(schema === undefined ? {} : { database: schema }),
  };
  const description = `mysqldump ${typeof input === 'string' ? input : input instanceof Uint8Array ? 'bytes' : 'stream'}`;
  return Object.freeze({
    kind: 'mysqldump' as const,
    description,
    extract: (context: ExtractContext) => extractMysqldump(input, options, context),
  });
}

async function extractMysqldump(
  input: DumpInput,
  options: MysqldumpOptions,
  context: ExtractContext,
): Promise<ExtractResult> {
  const zone = await LandingZone.open(context);
  const file = await openByteInput(input);
  const selection = new DumpSelection(options, zone.server);
  const tokenizer = new MysqldumpTokenizer(selection);
  const loads = new ParallelLoads();
  const method = options.method ?? defaultLoadMethod(context.target);
  const landing = new Map<string, LandingTable>();
  const progress = new ProgressReporter(context.onProgress, file.size);
  let open: { key: string; sink: RowSink; duplicates: string } | null = null;
  let rows = 0;
  // Loads per table not yet ended: a table whose last load ended is landed (its indexes and checks start).
  const loading = new Map<string, number>();
  const fanOut = new Set<string>();

  // The last load of each table: the next load of the same table waits for it to end, so rows land in
  // dump order (with REPLACE / IGNORE, which of two rows with one key wins depends on it).
  const lastLoad = new Map<string, RowSink>();
  // Columns whose AUTO_INCREMENT the workspace table dropped, per table.
  const explicitIds = new Map<string, readonly string[]>();

  const closeOpen = async () => {
    if (!open) return;
    const closing = open;
    open = null;
    lastLoad.set(closing.key, closing.sink);
    await loads.finish(closing.sink, () => {
      const left = (loading.get(closing.key) ?? 1) - 1;
      loading.set(closing.key, left);
      if (left === 0) zone.landed(landing.get(closing.key)!);
    });
  };

  const drain = async () => {
    for (const event of selection.events.splice(0)) {
      if (event.kind === 'create') {
        const table = zone.tableFor(event.table, event.schema, options.into?.[event.table]);
        const ddl = await zone.createFromDdl(table, event.text, `${file.name} at byte ${event.offset}`, {
          dropAutoIncrement: method === 'load-data',
        });
        if (!ddl.generatesIds) fanOut.add(event.key);
        explicitIds.set(event.key, ddl.droppedAutoIncrement);
        landing.set(event.key, { sourceSchema: event.schema, sourceTable: event.table, table });
      } else if (event.kind === 'other-table') {
        // A LOAD DATA LOCAL that waits for more rows while the reader skips a large table would be cut
        // off by the server after net_read_timeout; and the finished table's indexes and checks can start.
        await closeOpen();
      } else if (event.kind === 'insert') {
        if (open?.key === event.key && open.duplicates === event.duplicates) continue;
        await closeOpen();
        const target = landing.get(event.key)!;
        refuseGeneratedIds(target, event.columns, explicitIds.get(event.key) ?? []);
        const previous = lastLoad.get(event.key);
        if (previous) await loads.ended(previous);
        loading.set(event.key, (loading.get(event.key) ?? 0) + 1);
        await zone.reopen(target);
        const sink = await openTableLoader(context.target, {
          table: target.table,
          columns: event.columns,
          dataCharset: selection.charset,
          timeZone: selection.timeZone,
          duplicates: event.duplicates,
          method,
          streams: fanOut.has(event.key) ? LOAD_STREAMS : 1,
        });
        loads.track(sink);
        open = { key: event.key, sink, duplicates: event.duplicates };
      } else {
        await open!.sink.write(event.tsv, event.count);
        rows += event.count;
      }
    }
  };

  try {
    if (options.ddl !== undefined) {
      const definitions = await openByteInput(options.ddl);
      const reader = new MysqldumpTokenizer(selection);
      selection.beginDefinitions();
      try {
        for await (const chunk of definitions.chunks({ reuse: true })) {
          reader.write(chunk);
          await drain();
        }
        reader.end();
        await drain();
      } catch (error) {
        throw asSourceError(error, `${definitions.name} (ddl)`);
      }
      selection.endDefinitions();
    }
    for await (const chunk of file.chunks({ reuse: true })) {
      context.signal?.throwIfAborted();
      zone.throwIfFailed();
      tokenizer.write(chunk);
      await drain();
      progress.report(selection.currentTable, file.bytesRead(), rows);
    }
    tokenizer.end();
    await drain();
    await closeOpen();
    await loads.settle();
    checkAllFound(options, selection, landing);
    progress.report(null, file.bytesRead(), rows, true);
    const tables = await zone.finish(
      options.tables.map((name) => [...landing.values()].find((t) => t.sourceTable === name)!),
    );
    return Object.freeze({
      tables: Object.freeze(tables),
      provenance: Object.freeze({
        source: 'mysqldump',
        file: file.name,
        bytes: file.size,
        compression: file.compression(),
        dumpHeader: selection.headerLine,
        serverVersion: selection.serverVersion,
        database: options.database ?? tables[0]?.sourceSchema ?? selection.headerDatabase,
        dumpCompleted: selection.completedAt,
        ...selection.position,
        rowFilter: options.rows ? Object.keys(options.rows) : [],
      }),
      ddlChanges: Object.freeze([...zone.ddlChanges]),
    });
  } catch (error) {
    await loads.abort();
    await zone.dropAll();
    throw asSourceError(error, file.name, { file: file.name });
  }
}

/**
 * A LOAD DATA extract drops AUTO_INCREMENT from the workspace table (two streams would serialize on its
 * lock), which is right for dumps: every row carries its id. An INSERT that leaves such a column out
 * (hand-written SQL) expects the server to number the rows; say so instead of loading zeros.
 */
function refuseGeneratedIds(
  target: LandingTable,
  columns: readonly { readonly name: string | null }[],
  dropped: readonly string[],
): void {
  const given = new Set(columns.map((c) => c.name?.toLowerCase()));
  const missing = dropped.filter((c) => !given.has(c));
  if (missing.length === 0) return;
  throw new SourceError(
    `an INSERT into ${target.sourceTable} leaves out its AUTO_INCREMENT column ${missing.join(', ')}: the rows expect the server to number them`,
    {
      hint: "extract it with { method: 'insert' }, which keeps AUTO_INCREMENT and numbers the rows as a plain load would",
      facts: { table: target.sourceTable, columns: missing },
    },
  );
}

function checkAllFound(
  options: MysqldumpOptions,
  selection: DumpSelection,
  landing: ReadonlyMap<string, LandingTable>,
): void {
  const found = new Set([...landing.values()].map((t) => t.sourceTable));
  const missing = options.tables.filter((t) => !found.has(t));
  if (missing.length === 0) return;
  const { database } = options;
  if (database !== undefined && !selection.databases.has(database) && selection.headerDatabase !== database) {
    const dumped = [...selection.databases, selection.headerDatabase].filter(Boolean);
    throw new SourceError(
      `this is a dump of ${dumped.length ? `database ${[...new Set(dumped)].join(', ')}` : 'an unnamed database'}, not of ${database}`,
      { hint: 'check the file, or the database option' },
    );
  }
  const views = [...selection.views.values()].filter(
    (v) => missing.includes(v.view) && (database === undefined || v.schema === database),
  );
  if (views.length > 0) {
    const names = views.map((v) => (v.schema ? `${v.schema}.${v.view}` : v.view));
    throw new SourceError(
      `${names.join(', ')} ${views.length > 1 ? 'are views' : 'is a view'} in the dump, not a table: a dump holds no rows of a view`,
      {
        hint: 'extract the base tables the view reads (its CREATE VIEW in the dump names them), and query the view over those',
        facts: { views: names, expected: 'table', found: 'view' },
      },
    );
  }
  const inDump = [...selection.created.values()]
    .filter((t) => database === undefined || t.schema === database)
    .map((t) => (t.schema ? `${t.schema}.${t.table}` : t.table));
  throw new SourceError(
    `table${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not in the dump${database ? ` (database ${database})` : ''}; it has ${inDump.length ? inDump.slice(0, 30).join(', ') : 'no CREATE TABLE at all'}`,
    { hint: 'check the table names (they are case-sensitive) and the file' },
  );
}
