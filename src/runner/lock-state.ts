import { sql } from 'kysely';
import type { Target } from '../db/index.ts';
import { lockName } from '../ledger/index.ts';

/** The lock a run of `moduleId` holds; `gc`, `status` and `undo` look at it. */
export function moduleLockName(target: Target, controlSchema: string, moduleId: string): string {
  return lockName(target, controlSchema, `module:${moduleId}`);
}

/** Whether some session holds the module's lock right now (a run of it is alive). */
export async function moduleLocked(
  target: Target,
  controlSchema: string,
  moduleId: string,
): Promise<boolean> {
  const name = moduleLockName(target, controlSchema, moduleId);
  const result = await sql<{ holder: string | null }>`SELECT IS_USED_LOCK(${name}) AS holder`.execute(
    target.db,
  );
  return result.rows[0]?.holder != null;
}
