import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseConnectionUrl, redactUrl } from '../../db/index.ts';
import { UsageError } from '../../errors/index.ts';
import { openWorkspace } from '../../primitives/index.ts';
import { table } from '../../runner/markdown.ts';
import { fromMysqldump, fromMysqlShellDump, fromServer, type Source } from '../../sources/index.ts';
import { type CliIo, writeLine } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { openTarget, type TargetFlags } from '../options.ts';
import { progressReporter } from '../progress-reporter.ts';

export interface ExtractFlags extends TargetFlags {
  readonly from: string;
  readonly tables: string;
  readonly into: string;
  readonly database?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly s3Endpoint?: string;
  readonly s3Region?: string;
  readonly s3PathStyle?: boolean;
}

/**
 * Picks the source for `--from`: a `mysql://` URL (another server; `--database` or the URL's path
 * names the schema), a MySQL Shell dump directory or `s3://bucket/prefix`, or a mysqldump file (plain,
 * .gz, .zst).
 */
export async function sourceFor(
  from: string,
  tables: readonly string[],
  flags: ExtractFlags,
  io: CliIo,
): Promise<Source> {
  if (/^(mysql|mariadb):\/\//i.test(from)) {
    const schema = flags.database ?? parseConnectionUrl(from).database;
    if (!schema)
      throw new UsageError(`--from ${redactUrl(from)} names no schema`, {
        hint: 'add it to the URL path or pass --database',
      });
    return fromServer(from, { schema, tables });
  }
  if (/^s3:\/\//i.test(from)) {
    return fromMysqlShellDump(from, {
      tables,
      ...(flags.database ? { schema: flags.database } : {}),
      s3: {
        ...(flags.s3Endpoint ? { endpoint: flags.s3Endpoint } : {}),
        ...(flags.s3Region ? { region: flags.s3Region } : {}),
        ...(flags.s3PathStyle ? { forcePathStyle: true } : {}),
      },
    });
  }
  const path = resolve(io.cwd, from);
  const info = await stat(path).catch(() => null);
  if (!info) throw new UsageError(`--from ${from}: no such file or directory`);
  const database = flags.database ? { database: flags.database } : {};
  if (info.isDirectory())
    return fromMysqlShellDump(path, { tables, ...(flags.database ? { schema: flags.database } : {}) });
  return fromMysqldump(path, { tables, ...database });
}

/**
 * `rowback extract --from <file> --tables a,b --into <schema>`: an ad-hoc extract of backup tables
 * into a workspace schema (created if missing), outside any restore module. Prints counts and checksums.
 */
export async function extractCommand(flags: ExtractFlags, io: CliIo): Promise<number> {
  const tables = flags.tables
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tables.length === 0) throw new UsageError('--tables needs at least one table name');
  const source = await sourceFor(flags.from, tables, flags, io);
  const target = await openTarget(flags, io);
  const progress = progressReporter(io, Boolean(flags.quiet || flags.json));
  try {
    const workspace = await openWorkspace(target, { schema: flags.into });
    const result = await source.extract({
      target,
      workspace: workspace.schema,
      tableName: (sourceTable) => sourceTable,
      onProgress: (p) => progress.onEvent({ type: 'step-progress', name: 'extract', progress: p }),
    });
    progress.stop();
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({ source: source.description, ...result, tables: result.tables.map((t) => ({ ...t, table: t.table.toString() })) }, null, 2)}\n`,
      );
    } else {
      writeLine(io.stdout, `Extracted from ${source.description} into ${workspace.schema}:\n`);
      writeLine(
        io.stdout,
        table(
          ['table', 'rows', 'checksum'],
          result.tables.map((t) => [t.table.toString(), t.rows, t.checksum]),
        ),
      );
      for (const change of result.ddlChanges) writeLine(io.stdout, `DDL adapted: ${change}`);
    }
    return EXIT.ok;
  } finally {
    progress.stop();
    await target.close();
  }
}
