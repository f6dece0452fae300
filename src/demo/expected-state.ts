import { type Kysely, sql } from 'kysely';
import type { IncidentTables } from './build-context.ts';
import type { ExpectedState, Row } from './incident.ts';
import { IMPORTER_META_KEYS, IMPORTER_USER_COLUMNS } from './incident-plan.ts';

const ID_CHUNK = 1000;

/** `SELECT *` of the given users' wp_users and wp_usermeta rows, ordered by primary key. */
export async function readUserRows(
  db: Kysely<any>,
  tables: IncidentTables,
  ids: readonly number[],
): Promise<ExpectedState> {
  const users: Row[] = [];
  const meta: Row[] = [];
  for (let i = 0; i < ids.length; i += ID_CHUNK) {
    const chunk = ids.slice(i, i + ID_CHUNK);
    if (chunk.length === 0) continue;
    const u =
      await sql<Row>`SELECT * FROM ${tables.users} WHERE ID IN (${sql.join(chunk)}) ORDER BY ID`.execute(db);
    const m =
      await sql<Row>`SELECT * FROM ${tables.usermeta} WHERE user_id IN (${sql.join(chunk)}) ORDER BY umeta_id`.execute(
        db,
      );
    users.push(...u.rows);
    meta.push(...m.rows);
  }
  return freezeState(users, meta);
}

/**
 * The allow-list outcome: the live rows, with the importer's columns and meta keys put back to the
 * backup (a key the importer inserted disappears, one it overwrote gets its backup row back); every
 * other column and key keeps its live value, so legitimate changes survive.
 */
export function allowlistState(backup: ExpectedState, live: ExpectedState): ExpectedState {
  const backupUser = new Map(backup.wp_users.map((r) => [String(r.ID), r]));
  const users = live.wp_users.map((row) => {
    const before = backupUser.get(String(row.ID));
    if (!before) throw new Error(`user ${String(row.ID)} is not in the backup`);
    const restored: Record<string, unknown> = { ...row };
    for (const column of IMPORTER_USER_COLUMNS) restored[column] = before[column];
    return restored;
  });
  const touched = new Set<string>(IMPORTER_META_KEYS);
  const meta = [
    ...live.wp_usermeta.filter((r) => !touched.has(String(r.meta_key))),
    ...backup.wp_usermeta.filter((r) => touched.has(String(r.meta_key))),
  ].sort((a, b) => Number(a.umeta_id) - Number(b.umeta_id));
  return freezeState(users, meta);
}

function freezeState(users: readonly Row[], meta: readonly Row[]): ExpectedState {
  return Object.freeze({
    wp_users: Object.freeze(users.map((r) => Object.freeze({ ...r }))),
    wp_usermeta: Object.freeze(meta.map((r) => Object.freeze({ ...r }))),
  });
}
