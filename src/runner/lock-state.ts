import { sql } from 'kysely';
import type { Target } from '../db/index.ts';
import { type Ledger, lockName, readClusterIdentity, readLease, sameNode } from '../ledger/index.ts';

/** The node-local `GET_LOCK` a run of `moduleId` holds besides its lease (the same-node fast path). */
export function moduleLockName(target: Target, controlSchema: string, moduleId: string): string {
  return lockName(target, controlSchema, `module:${moduleId}`);
}

/** The lease key of a module's runs. */
export function moduleLeaseKey(moduleId: string): string {
  return `module:${moduleId}`;
}

/**
 * Whether a run of the module is alive right now, from any member of the cluster: its lease is
 * unexpired. A holder on this same node is also asked for its `GET_LOCK`, which the server frees the
 * moment the holder's session ends: a run killed here is seen dead at once, not only at expiry.
 */
export async function moduleRunAlive(target: Target, ledger: Ledger, moduleId: string): Promise<boolean> {
  const identity = await readClusterIdentity(target);
  const holder = await readLease(ledger, target.db, identity, moduleLeaseKey(moduleId));
  if (!holder?.unexpired) return false;
  if (!sameNode(holder.node, identity.node)) return true;
  const name = moduleLockName(target, ledger.schema, moduleId);
  const used = await sql<{ holder: string | null }>`SELECT IS_USED_LOCK(${name}) AS holder`.execute(
    target.db,
  );
  return used.rows[0]?.holder != null;
}
