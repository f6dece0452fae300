/**
 * Regenerates fixtures/incidents/wpca-small (or another folder) from the incident builder:
 *
 *   node --conditions=rowback-source src/demo/build-fixture.ts [--users 200] [--seed 20261120] [--out DIR]
 *     [--bytes-per-chunk 131072]
 *
 * The server comes from the test provider chain (ROWBACK_TEST_DATABASE_URL, a container, or a private
 * mariadbd). It builds in a schema named `wpca_live`, which must not exist, and drops it afterwards.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { connect, quoteId } from '../db/index.ts';
import { startMysql } from '../testing/start-mysql.ts';
import { buildIncident } from './build-incident.ts';
import { runMysqldump } from './mysqldump.ts';

export const FIXTURE_SCHEMA = 'wpca_live';

const { values } = parseArgs({
  options: {
    users: { type: 'string', default: '200' },
    seed: { type: 'string', default: '20261120' },
    out: { type: 'string', default: 'fixtures/incidents/wpca-small' },
    'bytes-per-chunk': { type: 'string', default: '131072' },
  },
});
const out = resolve(values.out);
const server = await startMysql();
const admin = await connect(server.url);
try {
  const exists = await sql<{ n: number }>`
    SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${FIXTURE_SCHEMA}`.execute(
    admin.db,
  );
  if (Number(exists.rows[0]?.n) > 0)
    throw new Error(`schema ${FIXTURE_SCHEMA} exists on ${admin.description}; not touching it`);
  await sql
    .raw(
      `CREATE DATABASE ${quoteId(FIXTURE_SCHEMA)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`,
    )
    .execute(admin.db);
  try {
    for (const name of ['backup.sql', 'backup-mysqlsh', 'live.sql', 'incident.json']) {
      await rm(join(out, name), { recursive: true, force: true });
    }
    const started = Date.now();
    const incident = await buildIncident(admin, {
      users: Number(values.users),
      seed: Number(values.seed),
      workDir: out,
      liveSchema: FIXTURE_SCHEMA,
      bytesPerChunk: Number(values['bytes-per-chunk']),
    });
    // The damaged live state, so a test can load it without building (same dump tool and flags).
    await runMysqldump({
      connection: { ...admin.options, database: FIXTURE_SCHEMA },
      schema: FIXTURE_SCHEMA,
      file: join(out, 'live.sql'),
    });
    const { backupFile: _b, shellDumpDir: _s, backupCommand: _c, tables: _t, ...truth } = incident;
    await writeFile(join(out, 'incident.json'), `${JSON.stringify(truth, null, 2)}\n`);
    console.log(
      `wpca fixture: ${incident.usersInBackup} users, ${incident.collidedUserIds.length} collided, ` +
        `${incident.imported.participantIds.length} imported participants, in ${out} (${Date.now() - started} ms)`,
    );
  } finally {
    await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(FIXTURE_SCHEMA)}`).execute(admin.db);
  }
} finally {
  await admin.close();
  // The ephemeral server's child process is unref'd (so tests never wait for it): keep this script's
  // event loop alive until stop() has seen it exit and removed its folder.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    await server.stop();
  } finally {
    clearInterval(keepAlive);
  }
}
