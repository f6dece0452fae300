import { CompiledQuery, Kysely, MysqlDialect } from 'kysely';
import { createPool, type Pool, type PoolOptions } from 'mysql2';
import { UsageError } from '../errors/index.ts';
import { type ClusterTopology, readClusterTopology } from './cluster-topology.ts';
import { type ConnectionOptions, describeConnection, parseConnectionUrl } from './connection-url.ts';
import { readServerInfo, type ServerInfo } from './server-info.ts';
import { restoreSqlMode } from './sql-mode.ts';

/** A live database connection pool with what rowback knows about its server. */
export interface Target extends AsyncDisposable {
  readonly db: Kysely<any>;
  readonly server: ServerInfo;
  /** Galera / Group Replication / replicas as the server told at connect time; runs re-read it before writing. */
  readonly topology: ClusterTopology;
  /** The connection with the password removed, safe to print. */
  readonly description: string;
  /** Connection options, password included: for opening more connections, never for printing. */
  readonly options: ConnectionOptions;
  /** Opens another, independent Target on the same server (another pool), e.g. for a second session. */
  reconnect(overrides?: Partial<ConnectionOptions>): Promise<Target>;
  close(): Promise<void>;
}

export interface ConnectSettings {
  /** Pool size; a run pins one connection for its transaction and uses another for DDL. */
  readonly connectionLimit?: number;
}

/**
 * Pool options that make values round-trip byte-exactly: big integers and decimals stay strings (never
 * a JS number above 2^53), dates stay strings (zero dates survive), binary stays Buffer.
 */
export function poolOptions(options: ConnectionOptions, settings: ConnectSettings = {}): PoolOptions {
  return {
    host: options.host,
    port: options.port,
    user: options.user,
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
    charset: 'utf8mb4_general_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
    timezone: 'Z',
    connectionLimit: settings.connectionLimit ?? 4,
    multipleStatements: false,
    flags: ['+LOCAL_FILES'],
    // rowback sends text queries only (kysely and the loaders call query(), never execute()), so the
    // prepared-statement cache mysql2 reserves per connection (16,000 entries by default; 0 also
    // means the default) is dead weight: ~1 MB each, enough to tip V8 into a larger young generation.
    maxPreparedStatements: 1,
  };
}

/**
 * Connects to a MySQL 8.x or MariaDB server and reads its `ServerInfo`.
 *
 * @example
 * const target = await connect(process.env.ROWBACK_DATABASE_URL!);
 * console.log(target.server.flavour, target.description);
 * await target.close();
 */
export async function connect(
  url: string | ConnectionOptions,
  settings: ConnectSettings = {},
): Promise<Target> {
  const options = typeof url === 'string' ? parseConnectionUrl(url) : Object.freeze({ ...url });
  const pool: Pool = createPool(poolOptions(options, settings));
  const db = new Kysely<any>({
    dialect: new MysqlDialect({
      pool: async () => pool,
      // Every session rowback opens allows zero dates (WordPress's defaults and rows hold them) even
      // on servers whose global sql_mode forbids them; strict mode stays.
      onCreateConnection: async (connection) => {
        const mode = await connection.executeQuery<{ mode: string }>(
          CompiledQuery.raw('SELECT @@SESSION.sql_mode AS mode'),
        );
        const relaxed = restoreSqlMode(mode.rows[0]?.mode ?? '');
        await connection.executeQuery(CompiledQuery.raw('SET SESSION sql_mode = ?', [relaxed]));
      },
    }),
  });
  let server: ServerInfo;
  let topology: ClusterTopology;
  try {
    server = await readServerInfo(db);
    topology = await readClusterTopology(db, server.flavour);
  } catch (cause) {
    await db.destroy().catch(() => undefined);
    throw new UsageError(`cannot connect to ${describeConnection(options)}: ${errorMessage(cause)}`, {
      cause,
      hint: 'check host, port, user and password, and that the server is running',
    });
  }
  const close = () => db.destroy();
  return Object.freeze({
    db,
    server,
    topology,
    options,
    description: describeConnection(options),
    reconnect: (overrides: Partial<ConnectionOptions> = {}) =>
      connect({ ...options, ...overrides }, settings),
    close,
    [Symbol.asyncDispose]: close,
  });
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
