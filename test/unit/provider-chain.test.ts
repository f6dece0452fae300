import {
  chooseProvider,
  type ProviderEnvironment,
  type ServerBinary,
  ServerStartError,
} from 'rowback/testing';
import { describe, expect, it } from 'vitest';

const binary: ServerBinary = {
  path: '/usr/sbin/mariadbd',
  flavour: 'mariadb',
  version: '10.11.9',
  installDb: '/usr/bin/mariadb-install-db',
};

function environment(
  env: Record<string, string>,
  runtime: boolean,
  server: ServerBinary | null,
): ProviderEnvironment & { asked: string[] } {
  const asked: string[] = [];
  return {
    env,
    asked,
    containerRuntime: async () => {
      asked.push('runtime');
      return runtime;
    },
    serverBinary: async () => {
      asked.push('binary');
      return server;
    },
  };
}

describe('provider chain selection', () => {
  it('takes ROWBACK_TEST_DATABASE_URL first, without probing anything else', async () => {
    const env = environment({ ROWBACK_TEST_DATABASE_URL: 'mysql://root@db:3306' }, true, binary);
    expect(await chooseProvider(env)).toEqual({ kind: 'url', url: 'mysql://root@db:3306' });
    expect(env.asked).toEqual([]);
  });

  it('takes a container runtime next, with mysql:8.4 or ROWBACK_TEST_IMAGE', async () => {
    expect(await chooseProvider(environment({}, true, binary))).toEqual({
      kind: 'container',
      image: 'mysql:8.4',
    });
    expect(await chooseProvider(environment({ ROWBACK_TEST_IMAGE: 'mariadb:11.4' }, true, null))).toEqual({
      kind: 'container',
      image: 'mariadb:11.4',
    });
  });

  it('falls back to a local server binary', async () => {
    const env = environment({}, false, binary);
    expect(await chooseProvider(env)).toEqual({ kind: 'ephemeral', binary });
    expect(env.asked).toEqual(['runtime', 'binary']);
  });

  it('names all three options when nothing works', async () => {
    const attempt = chooseProvider(environment({}, false, null));
    await expect(attempt).rejects.toThrow(ServerStartError);
    await expect(attempt).rejects.toThrow(/ROWBACK_TEST_DATABASE_URL.*container runtime.*mariadbd/s);
  });
});
