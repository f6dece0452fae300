import type { TestProject } from 'vitest/node';
import { startMysql } from '../../src/testing/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's test server (no default schema); tests make their own schemas on it. */
    mysqlUrl: string;
    mysqlFlavour: 'mysql' | 'mariadb';
  }
}

/** One server for the whole test run, from the provider chain; stopped when the run ends. */
export default async function setup(project: TestProject) {
  const server = await startMysql();
  project.provide('mysqlUrl', server.url);
  project.provide('mysqlFlavour', server.flavour);
  return async () => {
    await server.stop();
  };
}
