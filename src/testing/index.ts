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
export { containerCommand, containerRuntimeHinted, DEFAULT_TEST_IMAGE } from './container-server.ts';
export { type EphemeralServerOptions, freePort, startEphemeralServer } from './ephemeral-server.ts';
export type { MysqlServer, ProviderKind } from './mysql-server.ts';
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
