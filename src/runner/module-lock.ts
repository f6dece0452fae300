import { hostname } from 'node:os';
import { type Kysely, sql } from 'kysely';
import type { Target } from '../db/index.ts';
import { LockError } from '../errors/index.ts';
import {
  acquireLease,
  assertLockHeld,
  describeHolder,
  type Ledger,
  readClusterIdentity,
  readLease,
  withLock,
} from '../ledger/index.ts';
import { moduleLeaseKey, moduleLockName } from './lock-state.ts';

export interface ModuleLockOptions {
  /** How long the lease lives without a renewal; a dead holder blocks other nodes this long. */
  readonly leaseTtlMs?: number;
  /** How often the lease is renewed while the run works. */
  readonly renewMs?: number;
}

/** What a run holding its module's lock can do with it. */
export interface ModuleLock {
  /** The session holding the node's `GET_LOCK`; it stays open for the whole run. */
  readonly pinned: Kysely<any>;
  /** Records the run id in the lease, so a refused run can name it. */
  setRunId(runId: string): Promise<void>;
  /** Throws `LockError` unless this run still holds both locks: called right before each commit. */
  assertHeld(): Promise<void>;
}

export const DEFAULT_LEASE_TTL_MS = 30_000;

/**
 * Runs `fn` holding the module's lock across the whole cluster: first the node's `GET_LOCK` (a
 * second run through the same node is refused at once), then the lease in the ledger (a run through
 * any other member is refused, naming the holder). The lease is renewed while `fn` works and released
 * at the end; if this process dies, the server frees the `GET_LOCK` with its session and the lease
 * expires after its time to live.
 */
export async function withModuleLock<T>(
  target: Target,
  ledger: Ledger,
  moduleId: string,
  options: ModuleLockOptions,
  fn: (lock: ModuleLock) => Promise<T>,
): Promise<T> {
  const ttlMs = options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS;
  const renewMs = Math.max(100, Math.min(options.renewMs ?? 5_000, Math.floor(ttlMs / 3)));
  const key = moduleLeaseKey(moduleId);
  const identity = await readClusterIdentity(target);
  const name = moduleLockName(target, ledger.schema, moduleId);
  const holderLine = async () => {
    const holder = await readLease(ledger, target.db, identity, key);
    return holder?.unexpired ? describeHolder(holder) : null;
  };
  return withLock(
    target,
    name,
    async (pinned) => {
      const connection = await sql<{ id: string }>`SELECT CONNECTION_ID() AS id`.execute(pinned);
      const lease = await acquireLease(ledger, target.db, identity, {
        key,
        ttlMs,
        connectionId: String(connection.rows[0]?.id ?? '0'),
        clientHost: hostname(),
        clientPid: process.pid,
        holdsNodeLock: true,
      });
      const beat = setInterval(() => void lease.renew().catch(() => undefined), renewMs);
      beat.unref();
      try {
        return await fn({
          pinned,
          setRunId: async (runId) => {
            await lease.renew(runId);
          },
          assertHeld: async () => {
            await assertLockHeld(pinned, name);
            if (!(await lease.renew())) {
              throw new LockError(`this run lost its lease ${key}: it expired and another run took it`, {
                hint: `nothing of the current transaction was committed; ${(await holderLine().catch(() => null)) ?? 'no run holds it now'}; check that run, then continue with --resume`,
                facts: { lease: key },
              });
            }
          },
        });
      } finally {
        clearInterval(beat);
        await lease.release().catch(() => undefined);
      }
    },
    holderLine,
  );
}
