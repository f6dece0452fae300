import { type Connection, createConnection } from 'mysql2/promise';
import { poolOptions, type Target } from '../db/index.ts';

/** How rows reach the workspace: LOAD DATA LOCAL INFILE from a stream, or batched multi-row INSERTs. */
export type LoadMethod = 'load-data' | 'insert';

export interface LoadSettings {
  /** Session time zone the backup's TIMESTAMP values are in (`+00:00` for mysqldump --tz-utc). */
  readonly timeZone: string | null;
}

/**
 * Opens a dedicated connection for loading one table: the session settings a dump load needs
 * (`NO_AUTO_VALUE_ON_ZERO` so an id 0 stays 0, non-strict so zero dates load as mysqldump wrote them,
 * no foreign-key checks, the backup's time zone) must not leak into the caller's pool.
 */
export async function openLoadSession(target: Target, settings: LoadSettings): Promise<Connection> {
  const { connectionLimit: _limit, ...options } = poolOptions(target.options);
  const connection = await createConnection(options);
  // unique_checks stays on: with it off (and foreign_key_checks off) MariaDB ≥ 10.6 loads an empty
  // table in "bulk" mode under an exclusive table lock, so a second LOAD DATA into it waits for the first
  // to commit, and on a 2.26M-row wp_usermeta that bulk load was slower than the plain one (bench/,
  // 200,000 users, server A: 7.1 / 11.0 / 11.3 s vs 5.6 / 6.4 / 5.5 s, same file, load average ≈ 3).
  await connection.query(
    "SET SESSION sql_mode = 'NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION', foreign_key_checks = 0",
  );
  if (settings.timeZone) await connection.query('SET SESSION time_zone = ?', [settings.timeZone]);
  return connection;
}

/** Whether LOAD DATA LOCAL INFILE can be used on this target. */
export function defaultLoadMethod(target: Target): LoadMethod {
  return target.server.localInfile ? 'load-data' : 'insert';
}
