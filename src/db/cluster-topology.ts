import { type Kysely, sql } from 'kysely';
import { type Flavour, isOn as isOnValue, type ServerInfo } from './server-info.ts';

/** A server address as the server itself reports it (host as configured, SQL port). */
export interface MemberAddress {
  readonly host: string;
  readonly port: number;
}

export interface GaleraState {
  /** `wsrep_local_state_comment`: `Synced` is the only state a write may start in. */
  readonly localState: string;
  /** `wsrep_cluster_status`: `Primary` means this node is in the quorum component. */
  readonly clusterStatus: string;
  readonly clusterSize: number;
  /** `wsrep_cluster_state_uuid`: the cluster's identity (the same on every node). */
  readonly clusterStateUuid: string;
  readonly nodeName: string;
  /** `wsrep_max_ws_size` in bytes (a writeset larger than this is refused by the provider). */
  readonly maxWsBytes: number | null;
  /** `wsrep_max_ws_rows`; 0 means no limit. */
  readonly maxWsRows: number | null;
  /**
   * `wsrep_incoming_addresses`: the SQL addresses of every member, this one included — empty where
   * nodes leave `wsrep_node_incoming_address` at AUTO (then `--replica` URLs name them).
   */
  readonly members: readonly MemberAddress[];
  /** `wsrep_node_name` of every member of the component (`mysql.wsrep_cluster_members`), when readable. */
  readonly memberNames: readonly string[];
}

export interface GroupMember extends MemberAddress {
  readonly id: string;
  readonly state: string;
  readonly role: string;
}

export interface GroupReplicationState {
  /** This member's `MEMBER_ROLE`: `PRIMARY` or `SECONDARY`. */
  readonly role: string;
  readonly state: string;
  readonly singlePrimary: boolean;
  readonly groupName: string;
  /** `group_replication_transaction_size_limit` in bytes; 0 means no limit. */
  readonly transactionSizeLimit: number;
  readonly members: readonly GroupMember[];
}

/**
 * Where the server stands in its replication topology, as far as it tells: Galera, Group Replication,
 * read-only flags, the async replicas it knows of and the source it replicates from. Frozen.
 */
export interface ClusterTopology {
  readonly galera: GaleraState | null;
  readonly groupReplication: GroupReplicationState | null;
  readonly readOnly: boolean;
  readonly superReadOnly: boolean;
  /** Async replicas the server knows of (`SHOW SLAVE HOSTS`; only those started with `report_host`). */
  readonly replicas: readonly (MemberAddress & { readonly serverId: number })[];
  /** When this server is itself a replica: the source it replicates from. */
  readonly source: MemberAddress | null;
  /**
   * Why the topology could not be read completely, or null. A write refuses while this is set:
   * detection fails closed.
   */
  readonly unreadable: string | null;
  /** Why the replica list could not be read (no privilege), or null. Writes go on; throttling says so. */
  readonly replicasUnknown: string | null;
}

const VARIABLES = [
  'wsrep_on',
  'wsrep_node_name',
  'wsrep_max_ws_size',
  'wsrep_max_ws_rows',
  'read_only',
  'super_read_only',
  'group_replication_transaction_size_limit',
  'group_replication_single_primary_mode',
  'group_replication_group_name',
];

const GALERA_STATUS = [
  'wsrep_local_state_comment',
  'wsrep_cluster_status',
  'wsrep_cluster_size',
  'wsrep_cluster_state_uuid',
  'wsrep_incoming_addresses',
];

type NameValue = { Variable_name: string; Value: string };

async function nameValues(db: Kysely<any>, kind: 'VARIABLES' | 'STATUS', names: readonly string[]) {
  const result = await sql<NameValue>`
    SHOW GLOBAL ${sql.raw(kind)} WHERE Variable_name IN (${sql.join(names)})`.execute(db);
  return new Map(result.rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
}

const numberOrNull = (value: string | undefined) =>
  value === undefined || value === '' ? null : Number(value);

/** `127.0.0.1:3306,10.0.0.2:3306` (Galera's `wsrep_incoming_addresses`) → addresses; `AUTO` entries skipped. */
export function parseAddressList(value: string): readonly MemberAddress[] {
  const out: MemberAddress[] = [];
  for (const entry of value.split(',')) {
    const text = entry.trim();
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
    if (match) out.push(Object.freeze({ host: match[1]!, port: Number(match[2]) }));
  }
  return Object.freeze(out);
}

/**
 * Reads the server's cluster topology. Never throws for what it cannot read: it sets `unreadable`
 * (then `assertWritableMember` refuses any write) or `replicasUnknown`, naming the privilege to grant.
 *
 * @example
 * const topology = await readClusterTopology(target.db, target.server.flavour);
 * if (topology.galera) console.log(topology.galera.localState, topology.galera.members);
 */
export async function readClusterTopology(db: Kysely<any>, flavour: Flavour): Promise<ClusterTopology> {
  const problems: string[] = [];
  const vars = await nameValues(db, 'VARIABLES', VARIABLES);
  const galera = isOnValue(vars.get('wsrep_on')) ? await readGalera(db, vars, problems) : null;
  const groupReplication = vars.has('group_replication_transaction_size_limit')
    ? await readGroupReplication(db, vars, problems)
    : null;
  const replicas = await readReplicas(db, flavour);
  const source = await readSource(db, flavour);
  return Object.freeze({
    galera,
    groupReplication,
    readOnly: isOnValue(vars.get('read_only')),
    superReadOnly: isOnValue(vars.get('super_read_only')),
    replicas: replicas.list,
    source,
    unreadable: problems.length ? problems.join('; ') : null,
    replicasUnknown: replicas.unknown,
  });
}

async function readGalera(
  db: Kysely<any>,
  vars: ReadonlyMap<string, string>,
  problems: string[],
): Promise<GaleraState | null> {
  try {
    const status = await nameValues(db, 'STATUS', GALERA_STATUS);
    return Object.freeze({
      localState: status.get('wsrep_local_state_comment') ?? 'unknown',
      clusterStatus: status.get('wsrep_cluster_status') ?? 'unknown',
      clusterSize: Number(status.get('wsrep_cluster_size') ?? 0),
      clusterStateUuid: status.get('wsrep_cluster_state_uuid') ?? '',
      nodeName: vars.get('wsrep_node_name') ?? '',
      maxWsBytes: numberOrNull(vars.get('wsrep_max_ws_size')),
      maxWsRows: numberOrNull(vars.get('wsrep_max_ws_rows')),
      members: parseAddressList(status.get('wsrep_incoming_addresses') ?? ''),
      memberNames: await readMemberNames(db),
    });
  } catch (cause) {
    problems.push(`wsrep is on but its status is unreadable (${(cause as Error).message})`);
    return null;
  }
}

async function readMemberNames(db: Kysely<any>): Promise<readonly string[]> {
  try {
    const result = await sql<{ name: string }>`
      SELECT node_name AS name FROM mysql.wsrep_cluster_members ORDER BY node_name`.execute(db);
    return Object.freeze(result.rows.map((r) => r.name));
  } catch {
    // MariaDB before 10.4, or no SELECT on the mysql schema: the refusal names no other node then.
    return Object.freeze([]);
  }
}

interface MemberRow {
  readonly id: string;
  readonly host: string;
  readonly port: number | string | null;
  readonly state: string;
  readonly role: string | null;
  readonly mine: number | string;
}

async function readGroupReplication(
  db: Kysely<any>,
  vars: ReadonlyMap<string, string>,
  problems: string[],
): Promise<GroupReplicationState | null> {
  let rows: readonly MemberRow[];
  try {
    const result = await sql<MemberRow>`
      SELECT MEMBER_ID AS id, MEMBER_HOST AS host, MEMBER_PORT AS port, MEMBER_STATE AS state,
             MEMBER_ROLE AS role, MEMBER_ID = @@server_uuid AS mine
        FROM performance_schema.replication_group_members`.execute(db);
    rows = result.rows;
  } catch (cause) {
    // The plugin is loaded: the server may well be a member. Not knowing its role, assume nothing.
    problems.push(
      `the group_replication plugin is loaded but performance_schema.replication_group_members is unreadable (${(cause as Error).message}); grant SELECT ON performance_schema.* to this user`,
    );
    return null;
  }
  const mine = rows.find((r) => Number(r.mine) === 1);
  // Loaded but not started (or this server left the group): a plain server, read_only tells the rest.
  if (!mine || mine.state === 'OFFLINE') return null;
  return Object.freeze({
    role: mine.role ?? 'unknown',
    state: mine.state,
    singlePrimary: isOnValue(vars.get('group_replication_single_primary_mode')),
    groupName: vars.get('group_replication_group_name') ?? '',
    transactionSizeLimit: Number(vars.get('group_replication_transaction_size_limit') ?? 0),
    members: Object.freeze(
      rows.map((r) =>
        Object.freeze({
          id: r.id,
          host: r.host,
          port: Number(r.port ?? 3306),
          state: r.state,
          role: r.role ?? '',
        }),
      ),
    ),
  });
}

// MySQL 8.4 removed the SLAVE spellings; MariaDB keeps them (and its REPLICA aliases keep Master_* columns).
async function readReplicas(db: Kysely<any>, flavour: Flavour) {
  try {
    const statement = flavour === 'mysql' ? sql`SHOW REPLICAS` : sql`SHOW SLAVE HOSTS`;
    const result = await sql<Record<string, unknown>>`${statement}`.execute(db);
    const list = result.rows
      .map((r) => ({
        host: String(r.Host ?? ''),
        port: Number(r.Port ?? 0),
        serverId: Number(r.Server_id ?? r.Server_Id),
      }))
      .filter((r) => r.host !== '' && r.port > 0)
      .map((r) => Object.freeze(r));
    return { list: Object.freeze(list), unknown: null };
  } catch (cause) {
    return {
      list: Object.freeze([]),
      unknown: `SHOW SLAVE HOSTS failed (${(cause as Error).message}); grant REPLICATION MASTER ADMIN (MariaDB) or REPLICATION SLAVE (MySQL) to this user, or name the replicas with --replica`,
    };
  }
}

async function readSource(db: Kysely<any>, flavour: Flavour): Promise<MemberAddress | null> {
  try {
    const statement = flavour === 'mysql' ? sql`SHOW REPLICA STATUS` : sql`SHOW SLAVE STATUS`;
    const result = await sql<Record<string, unknown>>`${statement}`.execute(db);
    const row = result.rows[0];
    const host = row?.Master_Host ?? row?.Source_Host;
    return host
      ? Object.freeze({ host: String(host), port: Number(row?.Master_Port ?? row?.Source_Port ?? 3306) })
      : null;
  } catch {
    // Without the privilege the refusal of a read-only server just cannot name its source.
    return null;
  }
}

/** Whether writes go through a certifying cluster (then every table needs a primary key). */
export function clusterActive(topology: ClusterTopology): boolean {
  return topology.galera !== null || topology.groupReplication !== null;
}

/**
 * Whether every table rowback creates or copies must have a primary key: when the server says so
 * (`sql_require_primary_key`, `innodb_force_primary_key`) and on any Galera or Group Replication
 * cluster, where a row without a key cannot be certified (Group Replication refuses it, Galera
 * replicates it unreliably).
 */
export function requiresPrimaryKeys(server: ServerInfo, topology: ClusterTopology): boolean {
  return server.requirePrimaryKey || clusterActive(topology);
}
