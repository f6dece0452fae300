import { type Kysely, sql } from 'kysely';

export type Flavour = 'mysql' | 'mariadb';

/** What rowback needs to know about a server before it writes to it. Frozen. */
export interface ServerInfo {
  readonly flavour: Flavour;
  /** Numeric version, e.g. `8.4.3` or `10.11.9`, without the vendor suffix. */
  readonly version: string;
  /** The full `VERSION()` string. */
  readonly versionString: string;
  /**
   * `@@server_uuid` on MySQL. MariaDB has none, so it is `mariadb:<@@server_id>@<@@hostname>`, which
   * still tells two servers of one fleet apart.
   */
  readonly serverUuid: string;
  readonly hostname: string;
  readonly serverId: number;
  /** `DATABASE()` of the connection: the live schema, or null when the URL named none. */
  readonly defaultSchema: string | null;
  readonly currentUser: string;
  readonly sqlMode: string;
  readonly lowerCaseTableNames: number;
  readonly groupReplication: {
    readonly active: boolean;
    /** Bytes; 0 means no limit. Null where the plugin is not loaded. */
    readonly transactionSizeLimit: number | null;
  };
  /** `sql_require_primary_key` (MySQL) or `innodb_force_primary_key` (MariaDB). */
  readonly requirePrimaryKey: boolean;
  /** `@@local_infile`: whether the server accepts `LOAD DATA LOCAL INFILE`. */
  readonly localInfile: boolean;
}

/** Parses `8.0.36-0ubuntu`, `10.11.9-MariaDB-log` or `5.5.5-10.11.9-MariaDB` into a version triple. */
export function parseVersion(versionString: string): { readonly flavour: Flavour; readonly version: string } {
  const flavour: Flavour = /mariadb/i.test(versionString) ? 'mariadb' : 'mysql';
  // Old MariaDB replication handshakes prefix "5.5.5-" to the real version.
  const cleaned = versionString.replace(/^5\.5\.5-/, '');
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(cleaned);
  return { flavour, version: match ? `${match[1]}.${match[2]}.${match[3]}` : cleaned };
}

/** Compares dotted versions numerically: negative, zero or positive like `Array.sort`. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

interface BasicsRow {
  readonly versionString: string;
  readonly hostname: string;
  readonly serverId: string | number;
  readonly defaultSchema: string | null;
  readonly currentUser: string;
  readonly sqlMode: string;
  readonly lowerCaseTableNames: string | number;
  readonly localInfile: string | number;
}

/** Reads `ServerInfo` with a handful of queries that work on MySQL 8.0/8.4 and MariaDB 10.x/11.x. */
export async function readServerInfo(db: Kysely<any>): Promise<ServerInfo> {
  const basics = await sql<BasicsRow>`
    SELECT VERSION() AS versionString, @@hostname AS hostname, @@server_id AS serverId,
           DATABASE() AS defaultSchema, CURRENT_USER() AS currentUser, @@sql_mode AS sqlMode,
           @@lower_case_table_names AS lowerCaseTableNames, @@local_infile AS localInfile`.execute(db);
  const row = basics.rows[0]!;
  const { flavour, version } = parseVersion(row.versionString);
  const variables = await readVariables(db, [
    'server_uuid',
    'sql_require_primary_key',
    'innodb_force_primary_key',
    'group_replication_transaction_size_limit',
  ]);
  const groupReplicationActive =
    flavour === 'mysql' && variables.has('group_replication_transaction_size_limit')
      ? await isGroupReplicationOnline(db)
      : false;
  const sizeLimit = variables.get('group_replication_transaction_size_limit');
  return Object.freeze({
    flavour,
    version,
    versionString: row.versionString,
    serverUuid: variables.get('server_uuid') ?? `mariadb:${row.serverId}@${row.hostname}`,
    hostname: row.hostname,
    serverId: Number(row.serverId),
    defaultSchema: row.defaultSchema,
    currentUser: row.currentUser,
    sqlMode: row.sqlMode,
    lowerCaseTableNames: Number(row.lowerCaseTableNames),
    groupReplication: Object.freeze({
      active: groupReplicationActive,
      transactionSizeLimit: sizeLimit === undefined ? null : Number(sizeLimit),
    }),
    requirePrimaryKey: isOn(
      variables.get('sql_require_primary_key') ?? variables.get('innodb_force_primary_key'),
    ),
    localInfile: isOn(String(row.localInfile)),
  });
}

export function isOn(value: string | undefined): boolean {
  return value !== undefined && ['on', '1', 'true'].includes(value.toLowerCase());
}

async function readVariables(db: Kysely<any>, names: readonly string[]): Promise<Map<string, string>> {
  const result = await sql<{ Variable_name: string; Value: string }>`
    SHOW GLOBAL VARIABLES WHERE Variable_name IN (${sql.join(names)})`.execute(db);
  return new Map(result.rows.map((r) => [r.Variable_name, r.Value]));
}

async function isGroupReplicationOnline(db: Kysely<any>): Promise<boolean> {
  try {
    const result = await sql<{ online: number | string }>`
      SELECT COUNT(*) AS online FROM performance_schema.replication_group_members
      WHERE MEMBER_STATE = 'ONLINE'`.execute(db);
    return Number(result.rows[0]?.online ?? 0) > 0;
  } catch {
    // performance_schema may be off or not readable by this user: then we cannot tell, assume not.
    return false;
  }
}
