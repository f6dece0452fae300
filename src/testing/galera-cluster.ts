import { access } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServerStartError } from '../errors/index.ts';
import { globalStatus } from './admin-query.ts';
import type { ClusterNode, GaleraClusterHandle } from './cluster-handle.ts';
import { type EphemeralServer, freePorts, startEphemeralServer } from './ephemeral-server.ts';
import { findExecutable, findServerBinary, requireMariadb, type ServerBinary } from './server-binary.ts';
import { tailFile } from './tail-file.ts';

/** Where Debian's `galera-4` package puts the provider library. */
export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';

export interface GaleraClusterOptions {
  /** How many nodes; 3 by default (the smallest cluster that keeps quorum when one is killed). */
  readonly nodes?: number;
  /** Extra server options for every node, after the cluster's own. */
  readonly serverArgs?: readonly string[];
  /** How long one node may take to start (a joiner includes its state transfer) and to sync. */
  readonly startTimeoutMs?: number;
  /** The `mariadbd` to run; found on the machine when not given. */
  readonly binary?: ServerBinary;
}

const INSTALL_HINT = 'install them with: apt-get install mariadb-server galera-4 rsync';

/**
 * Starts an N-node MariaDB Galera cluster on loopback: every node a private ephemeral server with
 * its own SQL, group, IST and SST ports. Node 1 bootstraps the cluster, the others join one at a
 * time by rsync state transfer; resolves when every node is Synced in a cluster of N.
 *
 * @example
 * await using cluster = await startGaleraCluster({ nodes: 3 });
 * const [node1, node2] = cluster.nodes;
 * await node1!.kill();                  // SIGKILL
 * await cluster.waitUntilSynced();      // the two survivors agree on a cluster of 2
 * await node1!.start();                 // rejoins, resolves when it is Synced again
 */
export async function startGaleraCluster(options: GaleraClusterOptions = {}): Promise<GaleraClusterHandle> {
  const binary = requireMariadb(
    options.binary ?? (await findServerBinary()),
    'a Galera test cluster',
    INSTALL_HINT,
  );
  await checkPrerequisites();
  const count = options.nodes ?? 3;
  const timeoutMs = options.startTimeoutMs ?? 180_000;
  // Four ports per node, all taken at once so none comes twice: SQL, group communication, IST, SST.
  const ports = await freePorts(count * 4);
  const portsOf = (i: number) => ports.slice(i * 4, i * 4 + 4) as [number, number, number, number];
  const clusterName = `rowback-${process.pid}-${ports[0]}`;
  const clusterAddress = `gcomm://${Array.from({ length: count }, (_, i) => `127.0.0.1:${portsOf(i)[1]}`).join(',')}`;

  const servers: EphemeralServer[] = [];
  const running: boolean[] = [];
  const waitUntilSynced = (waitMs = timeoutMs) => waitForSync(servers, running, waitMs);
  const stop = async () => {
    running.fill(false);
    // The folders are removed anyway: no node need shut down cleanly (Galera's goodbye takes seconds).
    await Promise.all(servers.map((server) => server.kill()));
    await Promise.all(servers.map((server) => server.stop()));
  };
  try {
    for (let i = 0; i < count; i++) {
      const [sqlPort, groupPort, istPort, sstPort] = portsOf(i);
      servers.push(
        await startEphemeralServer(binary, {
          port: sqlPort,
          startTimeoutMs: timeoutMs,
          openToAllUsers: true,
          firstStartArgs: i === 0 ? ['--wsrep-new-cluster'] : [],
          serverArgs: [
            `--server-id=${i + 1}`,
            '--binlog-format=ROW',
            '--innodb-autoinc-lock-mode=2',
            '--default-storage-engine=InnoDB',
            // Three nodes share a small machine with the rest of the test run.
            '--innodb-buffer-pool-size=64M',
            '--wsrep-on=ON',
            `--wsrep-provider=${GALERA_PROVIDER}`,
            `--wsrep-cluster-name=${clusterName}`,
            `--wsrep-cluster-address=${clusterAddress}`,
            '--wsrep-node-address=127.0.0.1',
            `--wsrep-node-name=node${i + 1}`,
            `--wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${groupPort};ist.recv_addr=127.0.0.1:${istPort};gcache.size=64M`,
            '--wsrep-sst-method=rsync',
            `--wsrep-sst-receive-address=127.0.0.1:${sstPort}`,
            ...(options.serverArgs ?? []),
          ],
        }),
      );
      running.push(true);
      await waitUntilSynced();
    }
  } catch (error) {
    await stop();
    throw error;
  }

  const nodes: readonly ClusterNode[] = Object.freeze(
    servers.map((server, i) =>
      Object.freeze({
        name: `node${i + 1}`,
        url: server.url,
        port: server.port,
        serverId: i + 1,
        errorLog: server.errorLog,
        kill: async () => {
          running[i] = false;
          await server.kill();
        },
        start: async () => {
          await server.start();
          running[i] = true;
          await waitUntilSynced();
        },
      }),
    ),
  );
  return Object.freeze({
    topology: 'galera' as const,
    clusterName,
    nodes,
    flavour: binary.flavour,
    version: binary.version,
    waitUntilSynced,
    stop,
    [Symbol.asyncDispose]: stop,
  });
}

async function checkPrerequisites(): Promise<void> {
  const provider = await access(GALERA_PROVIDER).then(
    () => true,
    () => false,
  );
  if (!provider)
    throw new ServerStartError(`no Galera provider at ${GALERA_PROVIDER}`, { hint: INSTALL_HINT });
  if (!(await findExecutable(['rsync']))) {
    throw new ServerStartError('no rsync on this machine (the state transfer of joining nodes uses it)', {
      hint: INSTALL_HINT,
    });
  }
}

/**
 * Polls until every running node is Synced and counts exactly the running nodes. Polling is the only
 * way to learn it: Galera announces view changes to its own members, not to clients.
 */
async function waitForSync(
  servers: readonly EphemeralServer[],
  running: readonly boolean[],
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const expected = running.filter(Boolean).length;
  let states: string[] = [];
  while (Date.now() < deadline) {
    states = await Promise.all(
      servers.map(async (server, i) => {
        if (!running[i]) return 'down';
        const [state, size] = await Promise.all([
          globalStatus(server.port, 'wsrep_local_state_comment'),
          globalStatus(server.port, 'wsrep_cluster_size'),
        ]);
        return `${state ?? 'unreachable'}/${size ?? '?'}`;
      }),
    );
    if (states.every((s, i) => !running[i] || s === `Synced/${expected}`)) return;
    await sleep(200);
  }
  const logs = await Promise.all(
    servers.map(
      async (server, i) => `node${i + 1} (${server.errorLog}):\n${await tailFile(server.errorLog, 15)}`,
    ),
  );
  throw new ServerStartError(
    `Galera nodes did not all reach Synced in a cluster of ${expected} within ${timeoutMs} ms (state/size per node: ${states.join(', ')})`,
    { hint: `error logs, last lines:\n${logs.join('\n')}` },
  );
}
