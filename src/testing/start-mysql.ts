import { connect } from '../db/index.ts';
import { ServerStartError } from '../errors/index.ts';
import {
  containerRuntimeHinted,
  containerRuntimeReachable,
  DEFAULT_TEST_IMAGE,
  startContainerServer,
} from './container-server.ts';
import { type EphemeralServerOptions, startEphemeralServer } from './ephemeral-server.ts';
import type { MysqlServer } from './mysql-server.ts';
import { findServerBinary, type ServerBinary } from './server-binary.ts';

/** What the provider chain looks at; injectable so the selection logic is testable without a machine. */
export interface ProviderEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  containerRuntime(): Promise<boolean>;
  serverBinary(): Promise<ServerBinary | null>;
}

export type ProviderChoice =
  | { readonly kind: 'url'; readonly url: string }
  | { readonly kind: 'container'; readonly image: string }
  | { readonly kind: 'ephemeral'; readonly binary: ServerBinary };

export const NO_SERVER_MESSAGE =
  'no MySQL server for tests: set ROWBACK_TEST_DATABASE_URL=mysql://user:pass@host:3306 to use an existing ' +
  'server, or start a container runtime (Docker/Podman) for Testcontainers, or install a mysqld/mariadbd ' +
  'binary (e.g. apt-get install mariadb-server) for a private ephemeral server';

export const defaultProviderEnvironment: ProviderEnvironment = {
  env: process.env,
  containerRuntime: async () => containerRuntimeHinted() && (await containerRuntimeReachable()),
  serverBinary: () => findServerBinary(),
};

/** The provider chain (docs/design.md): existing server URL → container runtime → local binary → error. */
export async function chooseProvider(environment: ProviderEnvironment): Promise<ProviderChoice> {
  const url = environment.env.ROWBACK_TEST_DATABASE_URL;
  if (url) return { kind: 'url', url };
  if (await environment.containerRuntime()) {
    return { kind: 'container', image: environment.env.ROWBACK_TEST_IMAGE || DEFAULT_TEST_IMAGE };
  }
  const binary = await environment.serverBinary();
  if (binary) return { kind: 'ephemeral', binary };
  throw new ServerStartError(NO_SERVER_MESSAGE);
}

/**
 * Gives a MySQL server for tests (and the demo): the first of `ROWBACK_TEST_DATABASE_URL`, a
 * Testcontainers `mysql:8.4` (`ROWBACK_TEST_IMAGE` overrides), a private `mariadbd`/`mysqld`.
 *
 * @example
 * await using server = await startMysql();
 * const target = await connect(server.url);
 */
export async function startMysql(
  options: EphemeralServerOptions & { readonly environment?: ProviderEnvironment } = {},
): Promise<MysqlServer> {
  const choice = await chooseProvider(options.environment ?? defaultProviderEnvironment);
  switch (choice.kind) {
    case 'url':
      return existingServer(choice.url);
    case 'container':
      return startContainerServer(choice.image);
    case 'ephemeral':
      return startEphemeralServer(choice.binary, options);
  }
}

/** An existing server is used as it is: stop() only forgets it, and tests drop what they created. */
async function existingServer(url: string): Promise<MysqlServer> {
  const target = await connect(url);
  const { flavour, version } = target.server;
  await target.close();
  const stop = async () => undefined;
  return Object.freeze({
    url,
    flavour,
    version,
    provider: 'url' as const,
    restart: async () => {
      throw new ServerStartError('cannot restart a server given by ROWBACK_TEST_DATABASE_URL');
    },
    stop,
    [Symbol.asyncDispose]: stop,
  });
}
