import { sql } from 'kysely';
import type { Target } from '../db/index.ts';
import { LockError } from '../errors/index.ts';

/** The server a session talks to, as a lease records it: enough for an operator to find it. */
export interface NodeIdentity {
  readonly hostname: string;
  /** `@@server_uuid` (MySQL) or `mariadb:<server_id>@<hostname>` (MariaDB has none). */
  readonly serverUuid: string;
  readonly port: number;
}

/**
 * What a lock must be unique across: a whole Galera cluster, a whole Group Replication group, or
 * else one server. Every member of a cluster reports the same `id`; each member a different `node`.
 */
export interface ClusterIdentity {
  readonly kind: 'galera' | 'group-replication' | 'server';
  readonly id: string;
  readonly node: NodeIdentity;
}

const NO_GALERA_STATE = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;

/**
 * Reads the cluster identity: `wsrep_cluster_state_uuid` on Galera, `group_replication_group_name` on
 * Group Replication, else the server's own uuid. Fails closed: a Galera node that knows no cluster
 * state (not joined yet) is refused rather than taken for a standalone server, whose lock would then
 * not be the cluster's.
 */
export async function readClusterIdentity(target: Target): Promise<ClusterIdentity> {
  const port = await sql<{ port: number | string }>`SELECT @@port AS port`.execute(target.db);
  const node: NodeIdentity = Object.freeze({
    hostname: target.server.hostname,
    serverUuid: target.server.serverUuid,
    port: Number(port.rows[0]?.port ?? 0),
  });
  const variables = await sql<{ Variable_name: string; Value: string }>`
    SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'group_replication_group_name')`.execute(
    target.db,
  );
  const value = (name: string) => variables.rows.find((r) => r.Variable_name === name)?.Value ?? '';
  if (value('wsrep_on').toUpperCase() === 'ON') {
    const status = await sql<{ Value: string }>`
      SHOW GLOBAL STATUS WHERE Variable_name = 'wsrep_cluster_state_uuid'`.execute(target.db);
    const uuid = status.rows[0]?.Value ?? '';
    if (!uuid || NO_GALERA_STATE.test(uuid)) {
      throw new LockError(
        `${target.description} has wsrep_on=ON but knows no Galera cluster state (wsrep_cluster_state_uuid '${uuid}')`,
        {
          hint: 'the node has not joined its cluster: connect to a Synced member, or wait until this one has joined',
          facts: { wsrepClusterStateUuid: uuid },
        },
      );
    }
    return Object.freeze({ kind: 'galera', id: `galera:${uuid}`, node });
  }
  const group = value('group_replication_group_name');
  if (group) return Object.freeze({ kind: 'group-replication', id: `group-replication:${group}`, node });
  return Object.freeze({ kind: 'server', id: `server:${node.serverUuid}`, node });
}

/** Whether two identities name the same server. */
export function sameNode(a: NodeIdentity, b: NodeIdentity): boolean {
  return a.serverUuid === b.serverUuid && a.hostname === b.hostname && a.port === b.port;
}
