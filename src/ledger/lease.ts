import { randomUUID } from 'node:crypto';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import { LockError } from '../errors/index.ts';
import type { ClusterIdentity, NodeIdentity } from './cluster-identity.ts';
import { sameNode } from './cluster-identity.ts';
import type { Ledger } from './control-schema.ts';

/**
 * A lease: the cluster-wide lock of rowback. `GET_LOCK` lives in one server's memory — on Galera and
 * Group Replication each member has its own, so two runs through two members both get "the" lock. A
 * lease is a row in the ledger, keyed by the cluster's identity, written in its own committed
 * transaction: the write replicates, and when two members race for it, Galera's certification (or
 * Group Replication's conflict detection) lets exactly one commit — the other gets a deadlock error
 * (1213) or a duplicate key (1062), re-reads, and is refused naming the winner. The holder renews the
 * lease while it works and deletes it at the end; a holder that died stops renewing, and its lease
 * expires by itself. Expiry is judged by the server's clock (`UTC_TIMESTAMP`), so members' clocks
 * must agree to well within the lease's time to live.
 */

/** Who holds a lease, as read from the ledger. */
export interface LeaseHolder {
  readonly runId: string | null;
  readonly clientHost: string;
  readonly clientPid: number;
  readonly node: NodeIdentity;
  /** The holder's session on its node: the one holding that node's `GET_LOCK`. */
  readonly connectionId: string;
  readonly acquiredAt: string;
  readonly heartbeatAt: string;
  readonly expiresAt: string;
  /** `expires_at` is still ahead of the server's clock. */
  readonly unexpired: boolean;
}

export interface LeaseRequest {
  readonly key: string;
  readonly ttlMs: number;
  /** The session holding this node's `GET_LOCK` for the same key. */
  readonly connectionId: string;
  readonly clientHost: string;
  readonly clientPid: number;
  /**
   * The caller holds this node's `GET_LOCK` for the key: an unexpired lease of a holder on this same
   * node is then void, since that holder's session (which held the `GET_LOCK`) is gone.
   */
  readonly holdsNodeLock: boolean;
}

/** A lease this process holds. */
export interface HeldLease {
  readonly key: string;
  readonly identity: ClusterIdentity;
  /**
   * Moves the expiry forward (and records the run id once known). False when the lease is no longer
   * this process's: it expired and another run took it, or a racing write won certification.
   */
  renew(runId?: string): Promise<boolean>;
  release(): Promise<void>;
}

/**
 * Errors that mean "another member's write on the lease row won": re-read and decide again. 1213:
 * deadlock, also Galera's certification failure or brute-force abort; 1062: the other insert came
 * first; 1205: its row lock outlived our wait; 3101: Group Replication rolled back at commit (not
 * tested here: no MySQL server on the test machines).
 */
const CONFLICT_ERRNOS = new Set([1213, 1062, 1205, 3101]);
const ATTEMPTS = 5;

interface LeaseRow {
  readonly token: string;
  readonly run_id: string | number | null;
  readonly client_host: string;
  readonly client_pid: number | string;
  readonly node_hostname: string;
  readonly node_server_uuid: string;
  readonly node_port: number | string;
  readonly node_connection_id: string | number;
  readonly acquired_at: string;
  readonly heartbeat_at: string;
  readonly expires_at: string;
  readonly unexpired: number | string;
}

/**
 * Takes the lease `request.key` for this process, or throws `LockError` naming the holder (run id,
 * client, node, since when, until when).
 */
export async function acquireLease(
  ledger: Ledger,
  db: Kysely<any>,
  identity: ClusterIdentity,
  request: LeaseRequest,
): Promise<HeldLease> {
  const token = randomUUID();
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    try {
      // A causal read first (see readRow): it refuses at once while a holder is there, and it makes
      // this node apply every lease write the cluster committed before, so the locking read in the
      // transaction below sees the row as it is, not as this node last applied it.
      const seen = await readRow(ledger, db, identity, request.key, false);
      if (seen && blocks(seen, identity, request)) throw holderError(seen, request.key, 'held');
      await db.transaction().execute(async (trx) => {
        const current = await readRow(ledger, trx, identity, request.key, true);
        if (current && blocks(current, identity, request)) throw holderError(current, request.key, 'held');
        if (current) {
          await sql`
            UPDATE ${sql.id(ledger.schema, 'leases')} SET ${holderColumns(token, identity, request)}
            WHERE cluster_id = ${identity.id} AND lease_key = ${request.key} AND token = ${current.token}`.execute(
            trx,
          );
        } else {
          await sql`
            INSERT INTO ${sql.id(ledger.schema, 'leases')} SET cluster_id = ${identity.id},
              lease_key = ${request.key}, ${holderColumns(token, identity, request)}`.execute(trx);
        }
      });
      return heldLease(ledger, db, identity, request, token);
    } catch (error) {
      if (!CONFLICT_ERRNOS.has((error as { errno?: number }).errno ?? 0)) throw error;
      // Another member's write on the row won: it holds the lease now, unless it let go already.
      const winner = await readRow(ledger, db, identity, request.key, false);
      if (winner && blocks(winner, identity, request)) {
        throw holderError(winner, request.key, `conflict (error ${(error as { errno: number }).errno})`);
      }
    }
  }
  throw new LockError(`could not take the lease ${request.key} in ${ATTEMPTS} attempts`, {
    hint: 'other runs keep writing the lease; retry in a moment',
    facts: { lease: request.key, clusterId: identity.id },
  });
}

/** The holder of lease `key`, or undefined when nobody has taken it or it was released. */
export async function readLease(
  ledger: Ledger,
  db: Kysely<any>,
  identity: ClusterIdentity,
  key: string,
): Promise<LeaseHolder | undefined> {
  const row = await readRow(ledger, db, identity, key, false);
  return row ? toHolder(row) : undefined;
}

/** The holder's line for messages: run, client, node, since when, until when. */
export function describeHolder(holder: LeaseHolder): string {
  const n = holder.node;
  return (
    `run ${holder.runId ?? '(starting)'} from ${holder.clientHost} (pid ${holder.clientPid}) through ` +
    `${n.hostname}:${n.port} (${n.serverUuid}, connection ${holder.connectionId}), since ${holder.acquiredAt} UTC, ` +
    `lease until ${holder.expiresAt} UTC`
  );
}

function blocks(row: LeaseRow, identity: ClusterIdentity, request: LeaseRequest): boolean {
  if (Number(row.unexpired) !== 1) return false;
  return !(request.holdsNodeLock && sameNode(toHolder(row).node, identity.node));
}

function holderError(row: LeaseRow, key: string, how: string): LockError {
  const holder = toHolder(row);
  return new LockError(`${key} is held by ${describeHolder(holder)}`, {
    hint: `another rowback run is in progress; wait for it to finish. If its process died, its lease expires by itself at ${holder.expiresAt} UTC, then a new run (or --resume) may take over from any node`,
    facts: {
      lease: key,
      holderRunId: holder.runId,
      holderClientHost: holder.clientHost,
      holderClientPid: holder.clientPid,
      holderNode: holder.node,
      holderConnectionId: holder.connectionId,
      since: holder.acquiredAt,
      expiresAt: holder.expiresAt,
      refusedBy: how,
    },
  });
}

function holderColumns(token: string, identity: ClusterIdentity, request: LeaseRequest): RawBuilder<unknown> {
  return sql`token = ${token}, run_id = NULL, client_host = ${request.clientHost},
    client_pid = ${request.clientPid}, node_hostname = ${identity.node.hostname},
    node_server_uuid = ${identity.node.serverUuid}, node_port = ${identity.node.port},
    node_connection_id = ${request.connectionId}, acquired_at = UTC_TIMESTAMP(3),
    heartbeat_at = UTC_TIMESTAMP(3), expires_at = ${expiry(request.ttlMs)}`;
}

function expiry(ttlMs: number): RawBuilder<unknown> {
  return sql`DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ${Math.round(ttlMs * 1000)} MICROSECOND)`;
}

/**
 * On Galera a plain read waits until this node has applied everything the cluster committed before
 * it (`wsrep_sync_wait`, which applies to statements in autocommit mode): without it, a node still
 * showing a lease that was released (or taken) through another node refuses a run naming a stale
 * holder, or none. The locking read inside the taking transaction follows such a read and needs no
 * wait of its own: certification at commit decides between racers there.
 */
async function readRow(
  ledger: Ledger,
  db: Kysely<any>,
  identity: ClusterIdentity,
  key: string,
  forUpdate: boolean,
): Promise<LeaseRow | undefined> {
  const causal =
    identity.kind === 'galera' && !forUpdate
      ? sql.raw('SET STATEMENT wsrep_sync_wait = 1 FOR ')
      : sql.raw('');
  const result = await sql<LeaseRow>`${causal}
    SELECT token, run_id, client_host, client_pid, node_hostname, node_server_uuid, node_port,
           node_connection_id, acquired_at, heartbeat_at, expires_at,
           expires_at > UTC_TIMESTAMP(3) AS unexpired
    FROM ${sql.id(ledger.schema, 'leases')}
    WHERE cluster_id = ${identity.id} AND lease_key = ${key}${sql.raw(forUpdate ? ' FOR UPDATE' : '')}`.execute(
    db,
  );
  return result.rows[0];
}

function toHolder(row: LeaseRow): LeaseHolder {
  return Object.freeze({
    runId: row.run_id === null ? null : String(row.run_id),
    clientHost: row.client_host,
    clientPid: Number(row.client_pid),
    node: Object.freeze({
      hostname: row.node_hostname,
      serverUuid: row.node_server_uuid,
      port: Number(row.node_port),
    }),
    connectionId: String(row.node_connection_id),
    acquiredAt: row.acquired_at,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at,
    unexpired: Number(row.unexpired) === 1,
  });
}

function heldLease(
  ledger: Ledger,
  db: Kysely<any>,
  identity: ClusterIdentity,
  request: LeaseRequest,
  token: string,
): HeldLease {
  const where = sql`cluster_id = ${identity.id} AND lease_key = ${request.key} AND token = ${token}`;
  return Object.freeze({
    key: request.key,
    identity,
    renew: async (runId?: string) => {
      try {
        const result = await sql`
          UPDATE ${sql.id(ledger.schema, 'leases')}
          SET heartbeat_at = UTC_TIMESTAMP(3), expires_at = ${expiry(request.ttlMs)}
              ${runId === undefined ? sql.raw('') : sql`, run_id = ${runId}`}
          WHERE ${where}`.execute(db);
        return Number(result.numAffectedRows ?? 0) === 1;
      } catch (error) {
        // A taker's write on another member won certification: the lease is no longer ours.
        if (CONFLICT_ERRNOS.has((error as { errno?: number }).errno ?? 0)) return false;
        throw error;
      }
    },
    release: async () => {
      await sql`DELETE FROM ${sql.id(ledger.schema, 'leases')} WHERE ${where}`.execute(db);
    },
  });
}
