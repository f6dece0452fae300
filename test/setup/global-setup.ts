import type { TestProject } from 'vitest/node';
import { connect } from '../../src/db/index.ts';
import { startMysql } from '../../src/testing/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the run's test server (no default schema); tests make their own schemas on it. */
    mysqlUrl: string;
    mysqlFlavour: 'mysql' | 'mariadb';
    /** The server's `local_infile`: off on stock MySQL 8, so only the insert load method works there. */
    mysqlLocalInfile: boolean;
  }
}

/** One server for the whole test run, from the provider chain; stopped when the run ends. */
export default async function setup(project: TestProject) {
  const server = await startMysql();
  project.provide('mysqlUrl', server.url);
  project.provide('mysqlFlavour', server.flavour);
  const target = await connect(server.url);
  project.provide('mysqlLocalInfile', target.server.localInfile);
  await target.close();
  return async () => {
    await server.stop();
  };
}
