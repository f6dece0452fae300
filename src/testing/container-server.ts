import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseVersion } from '../db/index.ts';
import type { MysqlServer } from './mysql-server.ts';

/** The image used when `ROWBACK_TEST_IMAGE` names none. */
export const DEFAULT_TEST_IMAGE = 'mysql:8.4';

/**
 * Cheap first look for a container runtime, so machines without one do not pay for Testcontainers'
 * full discovery: an explicit DOCKER_HOST, a Testcontainers config file, or a Docker/Podman socket.
 */
export function containerRuntimeHinted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.DOCKER_HOST || env.TESTCONTAINERS_HOST_OVERRIDE) return true;
  const uid = process.getuid?.() ?? 0;
  return [
    join(homedir(), '.testcontainers.properties'),
    '/var/run/docker.sock',
    join(homedir(), '.docker/run/docker.sock'),
    `/run/user/${uid}/podman/podman.sock`,
    `/run/user/${uid}/docker.sock`,
  ].some((p) => existsSync(p));
}

/** Asks Testcontainers whether it can reach a container runtime. */
export async function containerRuntimeReachable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * Server options for a test image: the image's stock defaults (`local_infile` OFF, binlog on and
 * `caching_sha2_password` on MySQL 8), plus GTIDs on MySQL, as production clusters run them (MySQL
 * Operator, Group Replication). MariaDB images run as they come.
 *
 * @example
 * containerCommand('mysql:8.4')     // ['--gtid-mode=ON', '--enforce-gtid-consistency=ON']
 * containerCommand('mariadb:11.4')  // []
 */
export function containerCommand(image: string): readonly string[] {
  return /(^|\/)mariadb(:|$)/i.test(image) ? [] : ['--gtid-mode=ON', '--enforce-gtid-consistency=ON'];
}

/** Starts `image` (default `mysql:8.4`; a `mariadb:*` image works too) with Testcontainers. */
export async function startContainerServer(image = DEFAULT_TEST_IMAGE): Promise<MysqlServer> {
  const { MySqlContainer } = await import('@testcontainers/mysql');
  const command = containerCommand(image);
  const configured = new MySqlContainer(image).withRootPassword('rowback');
  // No command at all keeps the image's own (an empty one would replace it).
  const container = await (command.length > 0 ? configured.withCommand([...command]) : configured).start();
  const url = `mysql://root:rowback@${container.getHost()}:${container.getPort()}`;
  const versionString =
    (await container.executeQuery('SELECT VERSION()', [], true)).trim().split('\n').pop() ?? '';
  const { flavour, version } = parseVersion(versionString);
  const stop = async () => {
    await container.stop();
  };
  return Object.freeze({
    url,
    flavour,
    version,
    provider: 'container' as const,
    restart: async () => {
      await container.restart();
    },
    stop,
    [Symbol.asyncDispose]: stop,
  });
}
