import { type Kysely, sql } from 'kysely';
import { restoreSqlMode } from '../db/index.ts';

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
