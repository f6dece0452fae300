import { type Kysely, sql } from 'kysely';
import type { TableRef } from '../db/index.ts';

/** A trigger on a table rowback writes to: it will fire for every row rowback changes. */
export interface TriggerInfo {
  readonly name: string;
  /** `BEFORE` or `AFTER`. */
  readonly timing: string;
  /** `INSERT`, `UPDATE` or `DELETE`. */
  readonly event: string;
}

/** Triggers defined on `table`, for the plan report ("these will fire"). */
export async function readTriggers(db: Kysely<any>, table: TableRef): Promise<readonly TriggerInfo[]> {
  const result = await sql<TriggerInfo>`
    SELECT TRIGGER_NAME AS name, ACTION_TIMING AS timing, EVENT_MANIPULATION AS event
    FROM information_schema.TRIGGERS
    WHERE EVENT_OBJECT_SCHEMA = ${table.schema} AND EVENT_OBJECT_TABLE = ${table.name}
    ORDER BY ACTION_ORDER, TRIGGER_NAME`.execute(db);
  return result.rows.map((r) => Object.freeze({ name: r.name, timing: r.timing, event: r.event }));
}
