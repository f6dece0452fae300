/**
 * `rowback/testing`: a real MySQL for tests (provider chain), throwaway sandboxes and fixture loading.
 *
 * @example
 * import { createSandbox, startMysql } from 'rowback/testing';
 * await using server = await startMysql();
 * await using box = await createSandbox(server, { fixtures: ['fixtures/wordpress/schema.sql'] });
 * console.log(await box.rows('wp_users', { orderBy: 'ID' }));
 */
export { ServerStartError } from '../errors/index.ts';
export { adminQuery, globalStatus } from './admin-query.ts';
export type { ClusterHandle, ClusterNode, GaleraClusterHandle, ReplicaPairHandle } from './cluster-handle.ts';
export { containerRuntimeHinted, DEFAULT_TEST_IMAGE } from './container-server.ts';
export {
  type EphemeralServer,
  type EphemeralServerOptions,
  freePort,
  freePorts,
  startEphemeralServer,
} from './ephemeral-server.ts';
export { GALERA_PROVIDER, type GaleraClusterOptions, startGaleraCluster } from './galera-cluster.ts';
export type { MysqlServer, ProviderKind } from './mysql-server.ts';
export { type ReplicaPairOptions, startReplicaPair } from './replica-pair.ts';
export { createSandbox, type RowsOptions, type Sandbox, type SandboxOptions } from './sandbox.ts';
export { findServerBinary, type ServerBinary } from './server-binary.ts';
export {
  chooseProvider,
  defaultProviderEnvironment,
  NO_SERVER_MESSAGE,
  type ProviderChoice,
  type ProviderEnvironment,
  startMysql,
} from './start-mysql.ts';
