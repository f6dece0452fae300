import type { Flavour } from '../db/index.ts';

/** A query on the reader connection: rows as arrays of raw values (Buffer or null). */
export type RawQuery = (text: string, values?: unknown[]) => Promise<unknown>;

/** The SQL that starts the consistent snapshot of a `fromServer` copy. */
export const START_SNAPSHOT = 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY';

/**
 * The statements that tie a binlog/GTID position to the snapshot, per flavour. MariaDB fixes the
 * position when the snapshot starts (`binlog_snapshot_file` / `_position`, made for this) and maps it
 * to a GTID position. MySQL has no such status: `gtid_executed` is read just before and just after
 * `START TRANSACTION`; when both reads agree no transaction committed in between, so the snapshot
 * holds exactly that set (otherwise the snapshot is retried). No global read lock either way.
 */
export function snapshotPositionSql(flavour: Flavour): {
  readonly before: string | null;
  readonly after: readonly string[];
} {
  if (flavour === 'mariadb') {
    return {
      before: null,
      after: [
        "SHOW SESSION STATUS WHERE Variable_name IN ('Binlog_snapshot_file', 'Binlog_snapshot_position')",
        'SELECT BINLOG_GTID_POS(?, ?)',
      ],
    };
  }
  return { before: 'SELECT @@GLOBAL.gtid_executed', after: ['SELECT @@GLOBAL.gtid_executed'] };
}

/** How many times a MySQL snapshot is restarted while transactions keep committing around it. */
const ATTEMPTS = 5;

/**
 * Starts the snapshot on `query`'s connection and returns the position it holds: `{ gtid,
 * binlogFile?, binlogPosition?, gtidExact }`. `gtidExact` is false when MySQL kept committing
 * through every attempt; `gtid` is then the set read after the snapshot started (it may hold a few
 * transactions the snapshot does not).
 */
export async function startSnapshotAt(
  query: RawQuery,
  flavour: Flavour,
): Promise<Record<string, string | number | boolean | null>> {
  const statements = snapshotPositionSql(flavour);
  if (flavour === 'mariadb') {
    await query(START_SNAPSHOT);
    try {
      const status = (await query(statements.after[0]!)) as (Buffer | null)[][];
      const value = (name: string) => status.find((r) => text(r[0]) === name)?.[1]?.toString('utf8') ?? '';
      const file = value('Binlog_snapshot_file');
      const position = Number(value('Binlog_snapshot_position') || 0);
      if (!file) return { gtid: null, gtidExact: false };
      const gtid = (await query(statements.after[1]!, [file, position])) as (Buffer | null)[][];
      return { gtid: text(gtid[0]?.[0]), binlogFile: file, binlogPosition: position, gtidExact: true };
    } catch {
      return { gtid: null, gtidExact: false };
    }
  }
  for (let attempt = 1; ; attempt++) {
    const before = await readGtid(query, statements.before!);
    await query(START_SNAPSHOT);
    const after = await readGtid(query, statements.after[0]!);
    if (before === after || attempt === ATTEMPTS) return { gtid: after, gtidExact: before === after };
    await query('ROLLBACK');
  }
}

async function readGtid(query: RawQuery, statement: string): Promise<string | null> {
  try {
    const rows = (await query(statement)) as (Buffer | null)[][];
    return text(rows[0]?.[0]);
  } catch {
    return null;
  }
}

function text(value: Buffer | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}
