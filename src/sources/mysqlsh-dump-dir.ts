import { SourceError } from '../errors/index.ts';
import type { DumpStorage } from './dump-storage.ts';

/** `@.json` and `@.done.json` of a MySQL Shell dump (the keys rowback uses; see MYSQLSH-DUMP-FORMAT.md). */
export interface ShellDumpInfo {
  readonly storage: DumpStorage;
  readonly started: Readonly<Record<string, unknown>>;
  readonly done: Readonly<Record<string, unknown>> | null;
  readonly schemas: readonly string[];
  readonly files: ReadonlySet<string>;
}

/** One table of a shell dump: its DDL file, LOAD DATA options and data files in chunk order. */
export interface ShellDumpTable {
  readonly schema: string;
  readonly table: string;
  readonly basename: string;
  readonly columns: readonly string[];
  readonly decodeColumns: Readonly<Record<string, string>>;
  readonly characterSet: string;
  /** File names within the dump's storage. */
  readonly ddlFile: string;
  readonly dataFiles: readonly string[];
  readonly primaryIndex: readonly string[];
  readonly includesData: boolean;
  /** `tableDataBytes` from `@.done.json`: uncompressed bytes the data files must add up to. */
  readonly dataBytes: number | null;
  /** `tableRows` from `@.done.json` (recent Shell versions only). */
  readonly rows: number | null;
}

const MAJOR_VERSIONS_KNOWN = 2;

async function readJson(
  storage: DumpStorage,
  file: string,
  required: boolean,
): Promise<Record<string, unknown> | null> {
  const bytes = await storage.read(file);
  if (bytes === null) {
    if (!required) return null;
    throw new SourceError(`${storage.where(file)}: cannot read it (no such file)`, {
      facts: { file: storage.where(file) },
      hint: 'is this a MySQL Shell dump?',
    });
  }
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('not a JSON object');
    return value as Record<string, unknown>;
  } catch (cause) {
    throw new SourceError(
      `${storage.where(file)}: not valid JSON (${(cause as Error).message}); the file is damaged`,
      {
        cause,
        facts: { file: storage.where(file), expected: 'a JSON object' },
      },
    );
  }
}

/**
 * Opens a dump: `@.json` (the dump's start), `@.done.json` (absent while the dump runs or when it was
 * cut off: refused unless `allowIncomplete`). The file list comes first: object storage answers a
 * missing bucket or wrong credentials there, before any file is fetched.
 */
export async function openShellDump(storage: DumpStorage, allowIncomplete: boolean): Promise<ShellDumpInfo> {
  const dir = storage.location;
  const files = await storage.list();
  const started = (await readJson(storage, '@.json', true))!;
  const version = String(started.version ?? '');
  const major = Number(version.split('.')[0]);
  if (!Number.isFinite(major) || major < 1 || major > MAJOR_VERSIONS_KNOWN) {
    throw new SourceError(
      `${dir}: dump format version ${JSON.stringify(version)} is not one rowback reads (1.x, 2.x)`,
      {
        facts: { file: storage.where('@.json'), expected: '1.x or 2.x', found: version },
      },
    );
  }
  const done = await readJson(storage, '@.done.json', false);
  if (!done && !allowIncomplete) {
    throw new SourceError(
      `${dir}: the dump is incomplete (no @.done.json: it is still running, or was cut off)`,
      {
        hint: 'wait for the dump to finish, or pass { allowIncomplete: true } to take the tables it has',
        facts: { file: storage.where('@.done.json'), kind: 'incomplete' },
      },
    );
  }
  const schemas = Array.isArray(started.schemas) ? started.schemas.map(String) : [];
  return Object.freeze({ storage, started, done, schemas, files });
}

/** Finds `table` (in `schema`, or in the only schema that has it) and its files. */
export async function findShellTable(
  dump: ShellDumpInfo,
  table: string,
  schema: string | undefined,
  allowIncomplete: boolean,
): Promise<ShellDumpTable> {
  const candidates: { schema: string; basename: string }[] = [];
  const seen: string[] = [];
  const schemaBasenames = (dump.started.basenames ?? {}) as Record<string, string>;
  for (const name of dump.schemas) {
    if (schema !== undefined && name !== schema) continue;
    const meta = await readJson(dump.storage, `${schemaBasenames[name] ?? name}.json`, true);
    const tables = Array.isArray(meta!.tables) ? meta!.tables.map(String) : [];
    const basenames = (meta!.basenames ?? {}) as Record<string, string>;
    const views = Array.isArray(meta!.views) ? meta!.views.map(String) : [];
    if (views.includes(table)) {
      throw new SourceError(
        `${name}.${table} is a view in the dump ${dump.storage.location}, not a table: a source copies the rows of base tables`,
        {
          hint: 'extract the base tables the view reads (its DDL file names them), and query the view over those',
          facts: { schema: name, table, expected: 'table', found: 'view' },
        },
      );
    }
    seen.push(...tables.map((t) => `${name}.${t}`));
    if (tables.includes(table))
      candidates.push({ schema: name, basename: basenames[table] ?? `${name}@${table}` });
  }
  if (candidates.length === 0) {
    throw new SourceError(
      `table ${table} is not in the dump ${dump.storage.location}${schema ? ` (schema ${schema})` : ''}; it has ${seen.slice(0, 30).join(', ') || 'no tables'}`,
      { facts: { table, schema, expected: table, found: seen.slice(0, 100) } },
    );
  }
  if (candidates.length > 1) {
    throw new SourceError(
      `table ${table} is in more than one schema of the dump (${candidates.map((c) => c.schema).join(', ')})`,
      { hint: 'pass { schema } to choose one', facts: { table } },
    );
  }
  const { schema: found, basename } = candidates[0]!;
  const meta = (await readJson(dump.storage, `${basename}.json`, true))!;
  const options = (meta.options ?? {}) as Record<string, unknown>;
  checkDialect(options, dump.storage.where(`${basename}.json`));
  const extension = String(meta.extension ?? 'tsv.zst');
  const partitions = (meta.basenames ?? {}) as Record<string, string>;
  const dataBasenames = Object.keys(partitions).length ? Object.values(partitions) : [basename];
  const chunked = meta.chunking === true;
  const dataFiles = dataBasenames.flatMap((b) => dataFilesOf(dump, b, extension, chunked, allowIncomplete));
  const primary = meta.primaryIndex ?? options.primaryIndex;
  const doneBytes = (dump.done?.tableDataBytes as Record<string, Record<string, number>> | undefined)?.[
    found
  ]?.[table];
  const doneRows = (dump.done?.tableRows as Record<string, Record<string, number>> | undefined)?.[found]?.[
    table
  ];
  const includesData = meta.includesData !== false;
  if (includesData && dataFiles.length === 0 && (doneBytes ?? 1) > 0 && !allowIncomplete) {
    throw new SourceError(
      `${dump.storage.location}: no data files for ${found}.${table} (expected ${basename}*.${extension})`,
      {
        facts: { table, expected: `${basename}*.${extension}`, found: 'none', kind: 'missing-data' },
      },
    );
  }
  return Object.freeze({
    schema: found,
    table,
    basename,
    columns: Array.isArray(options.columns) ? options.columns.map(String) : [],
    decodeColumns: (options.decodeColumns ?? {}) as Record<string, string>,
    characterSet: String(options.defaultCharacterSet ?? dump.started.defaultCharacterSet ?? 'utf8mb4'),
    ddlFile: `${basename}.sql`,
    dataFiles,
    primaryIndex: Array.isArray(primary) ? primary.map(String) : primary ? [String(primary)] : [],
    includesData,
    dataBytes: typeof doneBytes === 'number' ? doneBytes : null,
    rows: typeof doneRows === 'number' ? doneRows : null,
  });
}

/** rowback streams LOAD DATA text in the Shell's default `tsv` dialect; others are refused, not guessed. */
function checkDialect(options: Record<string, unknown>, file: string): void {
  const expected: Record<string, string> = {
    fieldsTerminatedBy: '\t',
    fieldsEnclosedBy: '',
    fieldsEscapedBy: '\\',
    linesTerminatedBy: '\n',
  };
  for (const [key, value] of Object.entries(expected)) {
    if (options[key] !== undefined && options[key] !== value) {
      throw new SourceError(
        `${file}: ${key} is ${JSON.stringify(options[key])}; rowback reads the default tsv dialect only`,
        {
          facts: { file, expected: value, found: options[key] },
          hint: 'dump with the default dialect',
        },
      );
    }
  }
}

/**
 * Data files of one basename in chunk order: `<b>.<ext>` unchunked, else `<b>@0.<ext>` … `<b>@@N.<ext>`
 * with every chunk present and exactly one last (`@@`) chunk.
 */
function dataFilesOf(
  dump: ShellDumpInfo,
  basename: string,
  extension: string,
  chunked: boolean,
  allowIncomplete: boolean,
): string[] {
  const plain = `${basename}.${extension}`;
  if (!chunked) return dump.files.has(plain) ? [plain] : [];
  const chunks = new Map<number, string>();
  let last: number | null = null;
  const prefix = `${basename}@`;
  const suffix = `.${extension}`;
  for (const file of dump.files) {
    if (!file.startsWith(prefix) || !file.endsWith(suffix)) continue;
    const middle = file.slice(prefix.length, -suffix.length);
    const match = /^(@?)(\d+)$/.exec(middle);
    if (!match) continue;
    const index = Number(match[2]);
    chunks.set(index, file);
    if (match[1]) {
      if (last !== null) {
        throw new SourceError(
          `${dump.storage.location}: ${basename} has two last chunks (@@${last} and @@${index})`,
          {
            facts: { table: basename },
          },
        );
      }
      last = index;
    }
  }
  if (chunks.size === 0) return [];
  const highest = Math.max(...chunks.keys());
  if (last === null || last !== highest || chunks.size !== highest + 1) {
    if (!allowIncomplete) {
      const missing = Array.from({ length: highest + 1 }, (_, k) => k).filter((k) => !chunks.has(k));
      throw new SourceError(
        `${dump.storage.location}: chunks of ${basename} are incomplete (${last === null ? `no last chunk ${basename}@@N.${extension}` : `missing chunk ${missing.join(', ')}`})`,
        {
          facts: {
            table: basename,
            expected: 'chunks 0..N with the last one named @@N',
            found: [...chunks.values()].sort(),
          },
        },
      );
    }
  }
  return [...chunks.entries()].sort((a, b) => a[0] - b[0]).map(([, file]) => file);
}
