import { basename } from 'node:path';
import { sql } from 'kysely';
import { connect, describeConnection, parseConnectionUrl, type Target } from '../../db/index.ts';
import { isRowbackError, SourceError, UsageError } from '../../errors/index.ts';
import { FROM_BINLOG } from '../../validation/api-contracts.ts';
import { checkCall } from '../../validation/check-call.ts';
import { asSourceError, LandingZone } from '../landing-zone.ts';
import { ProgressReporter } from '../progress.ts';
import type { ExtractContext, ExtractResult, Source } from '../source.ts';
import { binlogFileEvents } from './binlog-file-events.ts';
import { BinlogScan, type TransactionFilter } from './binlog-scan.ts';
import type { BinlogWindow } from './binlog-window.ts';
import { ChangeFold } from './change-fold.ts';
import { ChangeLanding } from './change-landing.ts';
import { changesTableOf } from './changes-table.ts';
import { readLiveTableShape } from './live-table-shape.ts';
import { purgedStart } from './purged-start.ts';
import type { RawEvent } from './raw-event.ts';
import { serverBinlogEvents, serverBinlogFiles } from './server-binlog-events.ts';

export interface BinlogSourceOptions extends BinlogWindow {
  /** Live tables to recover (required); their definitions come from the live schema. */
  readonly tables: readonly string[];
  /** The live schema of the tables (default: the target's default schema). */
  readonly schema?: string;
  /** Read the log of another server (a replica, the old primary) instead of the target's own. */
  readonly server?: string;
  /** Read binlog files on disk (e.g. copied from a backup volume), in log order, instead of a server. */
  readonly files?: readonly string[];
  readonly transactions?: TransactionFilter;
  /** The replica `server_id` rowback reads the log with (default: a random high id). */
  readonly serverId?: number;
}

/**
 * A table's folded keys are written to the workspace when either bound is reached. S6 at 20k users
 * (8,000 row changes): 500 keys 2.5 s / 157 MB, 5,000 keys 2.9-3.1 s / 174-177 MB on a loaded machine,
 * so few round trips buy nothing measurable; 1,000 keys, and the bytes bound memory for wide rows.
 */
const BATCH_KEYS = 1000;
// Each of the two INSERTs of a batch holds about half of it, hex-escaped (×2): well under the 16 MB
// max_allowed_packet default of MariaDB.
const BATCH_BYTES = 4 << 20;

/**
 * The binary log as a source: the rows a window of transactions changed, as they were just before it.
 * Per table the workspace gets `backup.table(name)` — the before-image of every row the window changed,
 * from immediately before its first change (rows the window inserted are absent) — and
 * `backup.changes(name)` — one row per key: first and last event position, GTIDs, kinds of change, and
 * the after-image the window last wrote. `tx.revert` restores from both, three-way.
 *
 * Reads the target's own log as a replica by default (needs REPLICATION SLAVE, and REPLICATION CLIENT
 * or BINLOG MONITOR), another server's with `server`, or files with `files`. Events stream: memory is
 * bounded by one batch of keys, whatever the window's size.
 *
 * @example
 * const log = await r.extract('log', fromBinlog({
 *   tables: ['wp_users', 'wp_usermeta'], start: { gtid: '0-1-4711' }, stop: { gtid: '0-1-4720' },
 * }));
 * await r.transaction('revert', async (tx) => {
 *   await tx.revert('wp_users', { from: log, scope: users, onConflict: 'fail' });
 * });
 */
export function fromBinlog(options: BinlogSourceOptions): Source {
  checkCall(FROM_BINLOG, { options });
  if (options.tables.length === 0) {
    throw new UsageError('fromBinlog needs at least one table', { hint: "pass { tables: ['wp_users'] }" });
  }
  if (options.files && options.server) {
    throw new UsageError('fromBinlog reads either files or a server, not both', {
      hint: 'drop server to read the files, or files to read the server',
    });
  }
  if (options.files?.length === 0) {
    throw new UsageError('fromBinlog was given an empty list of files', {
      hint: 'list the binlog files in log order',
    });
  }
  const where = options.files
    ? `binlog files ${options.files.map((f) => basename(f)).join(', ')}`
    : options.server
      ? `binlog of server ${describeConnection(parseConnectionUrl(options.server))}`
      : 'binlog of the target server';
  return Object.freeze({
    kind: 'binlog' as const,
    description: where,
    extract: async (context: ExtractContext) => {
      const server = options.server ? await connect(options.server) : null;
      try {
        return await extractBinlog(options, context, server ?? context.target, where);
      } finally {
        await server?.close();
      }
    },
  });
}

async function extractBinlog(
  options: BinlogSourceOptions,
  context: ExtractContext,
  logServer: Target,
  where: string,
): Promise<ExtractResult> {
  const schema = options.schema ?? context.target.options.database;
  if (!schema) {
    throw new UsageError('fromBinlog needs the live schema of its tables', {
      hint: 'connect with a default schema (mysql://…/wordpress) or pass { schema }',
    });
  }
  const zone = await LandingZone.open(context);
  const progress = new ProgressReporter(context.onProgress, null);
  try {
    const shapes = [];
    for (const table of options.tables) shapes.push(await readLiveTableShape(context.target, schema, table));
    const landings = new Map<string, ChangeLanding>();
    for (const shape of shapes) {
      const changesSource = changesTableOf(shape.table);
      landings.set(
        shape.table,
        await ChangeLanding.create(zone, shape, {
          before: zone.tableFor(shape.table, schema),
          changes: zone.tableFor(`${shape.table}__changes`, schema),
          changesSource,
        }),
      );
    }
    const scan = new BinlogScan(shapes, options, options.transactions);
    const folds = new Map(shapes.map((s) => [s.table, new ChangeFold()]));
    const provenance = await context.target.db.connection().execute(async (db) => {
      // TIMESTAMP values come out of the log as UTC text.
      await sql`SET SESSION time_zone = '+00:00'`.execute(db);
      const events = await openEvents(options, logServer);
      let rows = 0;
      for await (const change of scan.changes(events.events)) {
        context.signal?.throwIfAborted();
        const fold = folds.get(change.table.table)!;
        fold.add(change);
        rows++;
        if (fold.size >= BATCH_KEYS || fold.bytes >= BATCH_BYTES) {
          await landings.get(change.table.table)!.write(db, fold.drain());
          progress.report(change.table.table, 0, rows);
        }
      }
      for (const [table, fold] of folds) await landings.get(table)!.write(db, fold.drain());
      for (const landing of landings.values()) await landing.finish(db);
      return events.provenance;
    });
    checkWindowFound(scan, options, where);
    progress.report(null, 0, scan.summary.rowChanges, true);
    const tables = await zone.finish([...landings.values()].flatMap((l) => [l.before, l.changes]));
    const summary = scan.summary;
    return Object.freeze({
      tables: Object.freeze(tables),
      provenance: Object.freeze({
        source: 'binlog',
        where,
        ...provenance,
        serverVersion: summary.serverVersion,
        window: { start: options.start, stop: options.stop ?? null },
        transactions: summary.transactions,
        rowChanges: summary.rowChanges,
        firstTransaction: summary.first,
        lastTransaction: summary.last,
      }),
      ddlChanges: Object.freeze([...zone.ddlChanges]),
    });
  } catch (error) {
    await zone.dropAll();
    if (isRowbackError(error) && !(error instanceof SourceError)) throw error;
    throw asSourceError(error, where);
  }
}

async function openEvents(
  options: BinlogSourceOptions,
  server: Target,
): Promise<{ events: AsyncIterable<RawEvent>; provenance: Record<string, unknown> }> {
  const start = 'file' in options.start ? options.start : null;
  if (options.files) {
    const first = basename(options.files[0]!);
    if (start && start.file !== first) {
      throw new UsageError(`the window starts in ${start.file}, but the first file given is ${first}`, {
        hint: 'list the files from the one the window starts in, in log order',
      });
    }
    return {
      events: binlogFileEvents(options.files, start?.position ?? 4),
      provenance: { files: options.files },
    };
  }
  const files = await serverBinlogFiles(server);
  if (start && !files.includes(start.file)) {
    throw purgedStart(`${start.file} is not among the server's binary logs (${files[0]} … ${files.at(-1)})`);
  }
  const from = start ?? { file: files[0]!, position: 4 };
  return {
    events: serverBinlogEvents(server, from, options.serverId ? { serverId: options.serverId } : {}),
    provenance: { server: server.description, serverUuid: server.server.serverUuid, logs: files.length },
  };
}

function checkWindowFound(scan: BinlogScan, options: BinlogSourceOptions, where: string): void {
  if (!scan.started) {
    throw purgedStart(`the window's start ${JSON.stringify(options.start)} is not in ${where}`);
  }
  if (scan.summary.rowChanges === 0) {
    throw new SourceError(
      `the window holds no row changes of ${options.tables.join(', ')} (${scan.summary.transactions} transaction(s) in it)`,
      { hint: 'check the window (start, stop), the tables and the schema, and the transactions filter' },
    );
  }
}
