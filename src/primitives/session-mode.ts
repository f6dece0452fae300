import { type Kysely, sql } from 'kysely';

/**
 * Modes that would stop rows from round-tripping byte-exactly: zero dates (`0000-00-00`, which
 * WordPress uses as a default) are refused under NO_ZERO_DATE / NO_ZERO_IN_DATE, and without
 * NO_AUTO_VALUE_ON_ZERO an AUTO_INCREMENT value of 0 is replaced by a new id.
 */
const DROPPED_MODES = new Set(['NO_ZERO_DATE', 'NO_ZERO_IN_DATE', 'TRADITIONAL']);
const ADDED_MODES = ['NO_AUTO_VALUE_ON_ZERO'];

/**
 * The session `sql_mode` rowback writes under: the given mode with zero dates allowed and
 * NO_AUTO_VALUE_ON_ZERO added; strict mode stays, so truncation still fails loudly.
 *
 * @example restoreSqlMode('STRICT_TRANS_TABLES,NO_ZERO_DATE') // 'STRICT_TRANS_TABLES,NO_AUTO_VALUE_ON_ZERO'
 */
export function restoreSqlMode(current: string): string {
  const modes = current
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== '' && !DROPPED_MODES.has(m));
  for (const mode of ADDED_MODES) if (!modes.includes(mode)) modes.push(mode);
  return modes.join(',');
}

/**
 * Sets the restore `sql_mode` on a pinned connection (one session), returning the previous mode so the
 * caller can put it back. Must be called on a connection from `db.connection()` or a transaction, never
 * on a pool, where the next statement may run in another session.
 *
 * @example
 * await target.db.connection().execute(async (c) => {
 *   const previous = await useRestoreSqlMode(c);
 *   try { … } finally { await setSqlMode(c, previous); }
 * });
 */
export async function useRestoreSqlMode(pinned: Kysely<any>): Promise<string> {
  const result = await sql<{ mode: string }>`SELECT @@SESSION.sql_mode AS mode`.execute(pinned);
  const previous = result.rows[0]?.mode ?? '';
  const wanted = restoreSqlMode(previous);
  if (wanted !== previous) await setSqlMode(pinned, wanted);
  return previous;
}

/** Sets the session `sql_mode` (a value, so it goes as a parameter). */
export async function setSqlMode(pinned: Kysely<any>, mode: string): Promise<void> {
  await sql`SET SESSION sql_mode = ${mode}`.execute(pinned);
}
