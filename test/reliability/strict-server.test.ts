import { sql } from 'rowback';
import { findServerBinary, type MysqlServer, startEphemeralServer } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';
import { createRig, MODULE_ID, moduleSource, type Rig } from './harness.ts';

/**
 * Issue 7, case 6: a server that refuses tables without a primary key (MariaDB
 * `innodb_force_primary_key`, MySQL's `sql_require_primary_key`) and runs a strict sql_mode. Every
 * command of a run works there, and every table rowback created has a primary key. The whole
 * integration suite against such a server: `ROWBACK_TEST_SERVER_ARGS=…` (docs/reliability.md).
 * NO_ZERO_DATE / NO_ZERO_IN_DATE are left out here only because the WordPress schema fixture itself
 * declares '0000-00-00 00:00:00' defaults (WordPress removes those modes from its sessions).
 */
const binary = await findServerBinary();
const STRICT_ARGS = [
  '--innodb-force-primary-key=ON',
  '--sql-mode=STRICT_TRANS_TABLES,STRICT_ALL_TABLES,ONLY_FULL_GROUP_BY,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
];
const CHUNKED_ID = '20261126-reliability-chunked';

describe.skipIf(binary?.flavour !== 'mariadb')('a strict server (own ephemeral server)', () => {
  let server: MysqlServer;
  let rig: Rig;

  beforeAll(async () => {
    server = await startEphemeralServer(binary!, { serverArgs: STRICT_ARGS });
    rig = await createRig(server, 2_000);
    await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID));
    await rig.writeModule(CHUNKED_ID, moduleSource(CHUNKED_ID, { chunk: 500 }));
  }, 180_000);

  afterAll(async () => {
    await rig?.drop().catch(() => undefined);
    await server?.stop();
  });

  it('plan, apply, chunked apply, undo, status and gc work, and every table rowback made has a primary key', async () => {
    const modes = await sql<{ mode: string; pk: string | number }>`
      SELECT @@GLOBAL.sql_mode AS mode, @@GLOBAL.innodb_force_primary_key AS pk`.execute(rig.box.target.db);
    expect(modes.rows[0]?.mode).toMatch(/STRICT_ALL_TABLES/);
    expect(Number(modes.rows[0]?.pk)).toBe(1);
    const ctl = ['--control-schema', rig.box.controlSchema];
    const wsChunked = rig.box.schemaName('wsc');
    const planned = await runCli(['plan', MODULE_ID, ...rig.common()], { env: rig.env });
    expect(planned.code, planned.stderr).toBe(0);
    const applied = await runCli(['apply', MODULE_ID, ...rig.common(), '--yes', '--json'], { env: rig.env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
    // Tables of every kind exist now: ledger, backup, scope, snapshot, before-image, undo keys.
    const noKey = async () =>
      (
        await sql<{ t: string }>`
        SELECT CONCAT(t.TABLE_SCHEMA, '.', t.TABLE_NAME) AS t FROM information_schema.TABLES t
        WHERE t.TABLE_SCHEMA IN (${rig.box.controlSchema}, ${rig.box.workspaceSchema}, ${wsChunked}) AND t.TABLE_TYPE = 'BASE TABLE'
          AND NOT EXISTS (SELECT 1 FROM information_schema.TABLE_CONSTRAINTS c WHERE c.TABLE_SCHEMA = t.TABLE_SCHEMA
            AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY')`.execute(rig.box.target.db)
      ).rows.map((r) => r.t);
    const tables = await sql<{ n: string }>`
      SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (${rig.box.controlSchema}, ${rig.box.workspaceSchema})`.execute(
      rig.box.target.db,
    );
    expect(Number(tables.rows[0]?.n)).toBeGreaterThan(8);
    expect(await noKey()).toEqual([]);
    const runId = JSON.parse(applied.stdout).runId as string;
    const undone = await runCli(['undo', runId, ...ctl, '--yes'], { env: rig.env });
    expect(undone.code, undone.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.damaged);
    const chunked = await runCli(['apply', CHUNKED_ID, ...ctl, '--workspace', wsChunked, '--yes'], {
      env: rig.env,
    });
    expect(chunked.code, chunked.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
    expect(await noKey()).toEqual([]);
    expect((await runCli(['status', ...ctl], { env: rig.env })).code).toBe(0);
    const gc = await runCli(['gc', ...ctl, '--json'], { env: rig.env });
    expect(gc.code, gc.stderr).toBe(0);
  }, 300_000);
});
