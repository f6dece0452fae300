import { ServerStartError } from '../errors/index.ts';
import { adminQuery } from './admin-query.ts';
import type { ClusterNode, ReplicaPairHandle } from './cluster-handle.ts';
import { type EphemeralServer, freePorts, startEphemeralServer } from './ephemeral-server.ts';
import { findServerBinary, requireMariadb, type ServerBinary } from './server-binary.ts';
import { tailFile } from './tail-file.ts';

export interface ReplicaPairOptions {
  /** Extra server options for both servers, after the pair's own. */
  readonly serverArgs?: readonly string[];
  /** How long each server may take to start, and the replica to start replicating. */
  readonly startTimeoutMs?: number;
  /** The `mariadbd` to run; found on the machine when not given. */
  readonly binary?: ServerBinary;
}

/**
 * Starts a MariaDB primary with a binary log and a read-only replica that follows it by GTID
 * (`MASTER_USE_GTID=slave_pos`); resolves when both replication threads run.
 *
 * @example
 * await using pair = await startReplicaPair();
 * await pair.stopReplicaSql();          // the replica falls behind from here on
 * await pair.startReplicaSql();
 * await pair.waitForReplicaCatchUp();
 */
export async function startReplicaPair(options: ReplicaPairOptions = {}): Promise<ReplicaPairHandle> {
  const binary = requireMariadb(
    options.binary ?? (await findServerBinary()),
    'a replica pair (it replicates by MariaDB GTID)',
    'install it with: apt-get install mariadb-server',
  );
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const [primaryPort, replicaPort] = (await freePorts(2)) as [number, number];
  const common = [
    '--log-bin=binlog',
    '--binlog-format=ROW',
    '--log-slave-updates=ON',
    '--gtid-strict-mode=ON',
  ];
  const started = await Promise.allSettled([
    startEphemeralServer(binary, {
      port: primaryPort,
      startTimeoutMs: timeoutMs,
      serverArgs: ['--server-id=1', ...common, ...(options.serverArgs ?? [])],
    }),
    startEphemeralServer(binary, {
      port: replicaPort,
      startTimeoutMs: timeoutMs,
      serverArgs: [
        '--server-id=2',
        ...common,
        '--read-only=ON',
        '--relay-log=relay',
        ...(options.serverArgs ?? []),
      ],
    }),
  ]);
  const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [primary, replica] = servers as [EphemeralServer, EphemeralServer];
  try {
    await adminQuery(
      replica.port,
      `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${primary.port}, MASTER_USER = 'root',
         MASTER_PASSWORD = '', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1`,
    );
    await adminQuery(replica.port, 'START SLAVE');
    await waitForReplication(primary, replica, timeoutMs);
  } catch (error) {
    await stop();
    throw error;
  }

  const node = (server: EphemeralServer, name: string, serverId: number): ClusterNode =>
    Object.freeze({
      name,
      url: server.url,
      port: server.port,
      serverId,
      errorLog: server.errorLog,
      kill: () => server.kill(),
      // A restarted replica resumes replication from its own relay-log position and GTID.
      start: () => server.start(),
    });
  const primaryNode = node(primary, 'primary', 1);
  const replicaNode = node(replica, 'replica', 2);
  return Object.freeze({
    topology: 'replica-pair' as const,
    nodes: Object.freeze([primaryNode, replicaNode]),
    primary: primaryNode,
    replica: replicaNode,
    flavour: binary.flavour,
    version: binary.version,
    stopReplicaSql: async () => {
      await adminQuery(replica.port, 'STOP SLAVE SQL_THREAD');
    },
    startReplicaSql: async () => {
      await adminQuery(replica.port, 'START SLAVE SQL_THREAD');
    },
    waitForReplicaCatchUp: (waitMs = timeoutMs) => catchUp(primary, replica, waitMs),
    stop,
    [Symbol.asyncDispose]: stop,
  });
}

/** The replica connected and applied what the primary had at the time (its initial GTID state). */
async function waitForReplication(primary: EphemeralServer, replica: EphemeralServer, timeoutMs: number) {
  await catchUp(primary, replica, timeoutMs);
  const [status] = await adminQuery<{ Slave_IO_Running: string; Slave_SQL_Running: string }>(
    replica.port,
    'SHOW SLAVE STATUS',
  );
  if (status?.Slave_IO_Running !== 'Yes' || status.Slave_SQL_Running !== 'Yes') {
    throw new ServerStartError(
      `the replica on port ${replica.port} does not replicate (IO thread ${status?.Slave_IO_Running ?? '?'}, SQL thread ${status?.Slave_SQL_Running ?? '?'})`,
      { hint: `replica error log, last lines:\n${await tailFile(replica.errorLog, 20)}` },
    );
  }
}

/** `MASTER_GTID_WAIT` blocks on the replica until it has applied the primary's current GTID position. */
async function catchUp(primary: EphemeralServer, replica: EphemeralServer, timeoutMs: number): Promise<void> {
  const [position] = await adminQuery<{ pos: string }>(
    primary.port,
    'SELECT @@GLOBAL.gtid_binlog_pos AS pos',
  );
  const [waited] = await adminQuery<{ result: number | string }>(
    replica.port,
    'SELECT MASTER_GTID_WAIT(?, ?) AS result',
    [position?.pos ?? '', timeoutMs / 1000],
  );
  if (Number(waited?.result) !== 0) {
    throw new ServerStartError(
      `the replica on port ${replica.port} did not reach the primary's GTID position ${position?.pos} within ${timeoutMs} ms`,
      { hint: `replica error log, last lines:\n${await tailFile(replica.errorLog, 20)}` },
    );
  }
}
