import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Target } from '../db/index.ts';
import { LockError } from '../errors/index.ts';

/**
 * The lock name for `key` on this server and control schema. MySQL limits lock names to 64 characters,
 * so the key is hashed; the readable prefix helps someone reading `performance_schema.metadata_locks`.
 */
export function lockName(target: Target, controlSchema: string, key: string): string {
  const hash = createHash('sha256')
    .update(`${target.server.serverUuid}\0${controlSchema}\0${key}`)
    .digest('hex');
  return `rowback:${hash.slice(0, 48)}`;
}

/**
 * Runs `fn` while holding the named lock `GET_LOCK(name)` on one pinned connection, and releases it in
 * `finally`. Fails fast with `LockError` (naming the holder's connection id) when another session holds
 * it. If this process dies, the server ends the session and frees the lock by itself, so a crash never
 * leaves a module locked.
 */
export async function withLock<T>(
  target: Target,
  name: string,
  fn: (pinned: Kysely<any>) => Promise<T>,
  /** More about the holder for the refusal (e.g. its lease: run id, since when), or null. */
  describeHolder: () => Promise<string | null> = async () => null,
): Promise<T> {
  return target.db.connection().execute(async (pinned) => {
    const got = await sql<{ got: number | null }>`SELECT GET_LOCK(${name}, 0) AS got`.execute(pinned);
    if (Number(got.rows[0]?.got) !== 1) {
      const holder = await sql<{ holder: string | null }>`SELECT IS_USED_LOCK(${name}) AS holder`.execute(
        pinned,
      );
      const connectionId = holder.rows[0]?.holder ?? 'unknown';
      const more = await describeHolder().catch(() => null);
      throw new LockError(`lock ${name} is held by connection ${connectionId}${more ? `: ${more}` : ''}`, {
        hint: `another rowback run is in progress; wait for it, or if it hangs, check SHOW PROCESSLIST for connection ${connectionId}`,
        facts: { lock: name, holderConnectionId: connectionId },
      });
    }
    try {
      return await fn(pinned);
    } finally {
      await sql`SELECT RELEASE_LOCK(${name})`.execute(pinned).catch(() => undefined);
    }
  });
}

/**
 * Throws `LockError` unless the pinned session `pinned` still holds the lock `name`. A `GET_LOCK` is
 * freed silently when its session ends (a `KILL CONNECTION`, a network drop, `wait_timeout` on the idle
 * pinned session), and another run may then take it: a run checks this right before each commit.
 */
export async function assertLockHeld(pinned: Kysely<any>, name: string): Promise<void> {
  let why = 'another session holds it now, or none does';
  try {
    const result = await sql<{
      mine: number | string | null;
    }>`SELECT IS_USED_LOCK(${name}) = CONNECTION_ID() AS mine`.execute(pinned);
    if (Number(result.rows[0]?.mine) === 1) return;
  } catch (cause) {
    why = `the session holding it ended: ${(cause as Error).message}`;
  }
  throw new LockError(`this run lost the lock ${name} (${why})`, {
    hint: 'nothing of the current transaction was committed; check that no other run of the module is in progress, then continue with --resume',
    facts: { lock: name },
  });
}
