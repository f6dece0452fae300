import { sql } from 'kysely';
import {
  type ClusterTopology,
  type ConnectionOptions,
  type MemberAddress,
  redactUrl,
  type Target,
} from '../db/index.ts';

/** Another server that holds a copy of the target's data: a cluster member or an async replica. */
export interface ClusterPeer {
  readonly label: string;
  readonly kind: 'galera' | 'group-replication' | 'replica';
  /** Where to connect: a URL the operator gave, or the target's credentials at the peer's address. */
  readonly connection: string | ConnectionOptions;
}

/** The target's credentials at another server's address (over TCP: a socket path names the local server). */
export function atAddress(options: ConnectionOptions, address: MemberAddress): ConnectionOptions {
  const { socketPath: _socket, ...tcp } = options;
  return { ...tcp, host: address.host, port: address.port };
}

const label = (m: MemberAddress) => `${m.host}:${m.port}`;

/** Whether `address` is the server `target` is connected to by TCP. */
export function isSelf(target: Target, address: MemberAddress): boolean {
  const local = (h: string) => (h === 'localhost' || h === '::1' ? '127.0.0.1' : h);
  const { options } = target;
  return (
    options.socketPath === undefined &&
    options.port === address.port &&
    local(options.host) === local(address.host)
  );
}

/**
 * Every other server that should hold the target's rows: Galera members (`wsrep_incoming_addresses`),
 * Group Replication members, async replicas the primary reports, and the `replicas` URLs given.
 * The target itself is left out where its address shows it; callers also compare `server_uuid`s.
 */
export function clusterPeers(
  target: Target,
  topology: ClusterTopology,
  replicas: readonly string[] = [],
): readonly ClusterPeer[] {
  // The operator's URLs first: where a discovered replica is the same server, its label is theirs.
  const peers: ClusterPeer[] = replicas.map((url) => ({
    label: redactUrl(url),
    kind: 'replica' as const,
    connection: url,
  }));
  const add = (kind: ClusterPeer['kind'], address: MemberAddress) => {
    if (!isSelf(target, address))
      peers.push({ label: label(address), kind, connection: atAddress(target.options, address) });
  };
  for (const m of topology.galera?.members ?? []) add('galera', m);
  for (const m of topology.groupReplication?.members ?? [])
    if (m.state === 'ONLINE') add('group-replication', m);
  for (const r of topology.replicas) add('replica', r);
  return Object.freeze(peers);
}

/**
 * What tells two servers apart, to compare and watch each once: `server_uuid` on MySQL; on MariaDB
 * (no server_uuid) the Galera node's own uuid where there is one, else server id, hostname and port —
 * nodes of one test or bench machine often share all but the port.
 */
export async function serverIdentity(target: Target): Promise<string> {
  const result = await sql<{ port: number | string; node: string | null }>`
    SELECT @@port AS port,
      (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'wsrep_gcomm_uuid') AS node`
    .execute(target.db)
    .catch(() => null);
  const row = result?.rows[0];
  return `${target.server.serverUuid}/${row?.node || row?.port || ''}`;
}
