import { join } from 'node:path';
import {
  apply,
  defineRestore,
  ensureLedger,
  fromSchema,
  isErrorNamed,
  quoteId,
  readClusterIdentity,
  runWorkspaceSchemaName,
  sql,
  status,
  undo,
} from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { REPO_ROOT } from '../support/run-cli.ts';

/**
 * The module lease on a single server (the Galera cases are in test/cluster/lease.test.ts). Another
 * member's holder cannot exist on one server, so its lease row is written by the test, as that
 * member would have written it into the replicated ledger.
 */
const ID = '20261204-lease';
let box: Sandbox;
let backupSchema: string;
const workspaces = new Set<string>();

beforeAll(async () => {
  box = await createSandbox(
    { url: inject('mysqlUrl') },
    { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')] },
  );
  backupSchema = box.schemaName('backup');
  await box.load({
    sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          VALUES (1, 'a', 'x', 'a', 'a@example.org', '2024-01-01 00:00:00', 'A'),
                 (2, 'b', 'x', 'b', 'b@example.org', '2024-01-01 00:00:00', 'B')`,
  });
  await box.load({ sql: `CREATE DATABASE ${quoteId(backupSchema)}` });
  await box.load({ sql: `CREATE TABLE ${quoteId(backupSchema)}.wp_users LIKE wp_users` });
  await box.load({ sql: `INSERT INTO ${quoteId(backupSchema)}.wp_users SELECT * FROM wp_users` });
  await ensureLedger(box.target, box.controlSchema);
});

afterAll(async () => {
  for (const ws of workspaces) await box?.load({ sql: `DROP DATABASE IF EXISTS ${quoteId(ws)}` });
  await box?.drop();
});

beforeEach(async () => {
  await sql`DELETE FROM ${sql.id(box.controlSchema, 'leases')}`.execute(box.target.db);
  await box.load({ sql: "UPDATE wp_users SET user_email = CONCAT('bad', ID)" });
});

function restoreWith(beforeTransaction: () => Promise<void> = async () => undefined) {
  return defineRestore({
    id: ID,
    title: 'lease test',
    params: z.object({}),
    async run(r) {
      const backup = await r.extract('backup', fromSchema(backupSchema, { tables: ['wp_users'] }));
      const users = await r.scope('users', sql`SELECT ID FROM wp_users`, {
        key: 'ID',
        keyFrom: 'wp_users',
        expect: { rows: 2 },
      });
      await beforeTransaction();
      await r.transaction('restore', async (tx) => {
        await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
      });
    },
  });
}

async function applyIt(restore = restoreWith()) {
  const report = await apply(
    box.target,
    restore,
    {},
    { controlSchema: box.controlSchema, confirm: true, force: true },
  );
  workspaces.add(report.workspace);
  return report;
}

/** A lease row as a holder through `node` would have written it, expiring `seconds` from now. */
async function writeLease(node: { hostname: string; serverUuid: string; port: number }, seconds: number) {
  const identity = await readClusterIdentity(box.target);
  await sql`
    INSERT INTO ${sql.id(box.controlSchema, 'leases')} SET cluster_id = ${identity.id}, lease_key = ${`module:${ID}`},
      token = 'the-other-holder', run_id = 7, client_host = 'ops-laptop', client_pid = 4242,
      node_hostname = ${node.hostname}, node_server_uuid = ${node.serverUuid}, node_port = ${node.port},
      node_connection_id = 99, acquired_at = UTC_TIMESTAMP(3), heartbeat_at = UTC_TIMESTAMP(3),
      expires_at = DATE_ADD(UTC_TIMESTAMP(3), INTERVAL ${seconds} SECOND)`.execute(box.target.db);
}

const emails = async () => (await box.rows('wp_users', { orderBy: 'ID' })).map((r) => r.user_email);
const OTHER_NODE = { hostname: 'db-2', serverUuid: 'b0000000-0000-0000-0000-00000000000b', port: 3307 };

describe('module lease (single server)', () => {
  it("refuses a run while another member's lease is unexpired, naming the holder; takes over once it expired", async () => {
    await writeLease(OTHER_NODE, 600);
    const refused = await applyIt().catch((error: unknown) => error);
    if (!isErrorNamed(refused, 'LockError')) throw new Error(`expected a LockError, got ${String(refused)}`);
    expect(refused.message).toMatch(
      /module:20261204-lease is held by run 7 from ops-laptop \(pid 4242\) through db-2:3307 \(b0000000-0000-0000-0000-00000000000b, connection 99\), since .+ UTC, lease until .+ UTC/,
    );
    expect(refused.facts).toMatchObject({ holderRunId: '7', refusedBy: 'held' });
    expect(await emails()).toEqual(['bad1', 'bad2']);

    await sql`UPDATE ${sql.id(box.controlSchema, 'leases')} SET expires_at = DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 1 SECOND)`.execute(
      box.target.db,
    );
    const report = await applyIt();
    expect(report.status).toBe('done');
    expect(await emails()).toEqual(['a@example.org', 'b@example.org']);
    const left = await sql`SELECT * FROM ${sql.id(box.controlSchema, 'leases')}`.execute(box.target.db);
    expect(left.rows, 'the run released its lease').toEqual([]);
  });

  it('a run recorded as running is running for status while its lease is held from another member, interrupted after', async () => {
    const first = await applyIt();
    // Make that run look alive elsewhere: running in the ledger, its lease held through another node.
    await sql`UPDATE ${sql.id(box.controlSchema, 'runs')} SET status = 'running', finished_at = NULL WHERE id = ${first.runId}`.execute(
      box.target.db,
    );
    await writeLease(OTHER_NODE, 600);
    const seen = async () =>
      (await status(box.target, { controlSchema: box.controlSchema, moduleId: ID })).find(
        (r) => r.runId === first.runId,
      )?.status;
    expect(await seen()).toBe('running');
    await sql`UPDATE ${sql.id(box.controlSchema, 'leases')} SET expires_at = DATE_SUB(UTC_TIMESTAMP(3), INTERVAL 1 SECOND)`.execute(
      box.target.db,
    );
    expect(await seen()).toBe('interrupted');
  });

  it('a lease left on this server by a run that died is void at once: its GET_LOCK went with its session', async () => {
    const identity = await readClusterIdentity(box.target);
    await writeLease(identity.node, 600);
    const report = await applyIt();
    expect(report.status).toBe('done');
  });

  it('every run gets its own workspace schema, and undo of an earlier run still finds its before-images', async () => {
    const first = await applyIt();
    expect(first.workspace).toBe(runWorkspaceSchemaName(ID, first.runId!));
    await box.load({ sql: "UPDATE wp_users SET user_email = CONCAT('worse', ID)" });
    const second = await applyIt();
    expect(second.workspace).toBe(runWorkspaceSchemaName(ID, second.runId!));
    expect(second.workspace).not.toBe(first.workspace);
    const undone = await undo(box.target, second.runId!, { controlSchema: box.controlSchema, confirm: true });
    expect(undone.status).toBe('done');
    expect(await emails()).toEqual(['worse1', 'worse2']);
  });

  it('a run whose lease another member took meanwhile commits nothing', async () => {
    const before = await emails();
    const takeOver = async () => {
      // What a run through another member does once it judged this lease expired.
      await sql`UPDATE ${sql.id(box.controlSchema, 'leases')} SET token = 'the-other-holder', node_hostname = 'db-2'`.execute(
        box.target.db,
      );
    };
    const report = await applyIt(restoreWith(takeOver));
    expect(report.status).toBe('failed');
    expect(report.error?.name).toBe('LockError');
    expect(report.error?.message).toMatch(/lost its lease module:20261204-lease/);
    expect(await emails()).toEqual(before);
  });
});
