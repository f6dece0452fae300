import { randomBytes } from 'node:crypto';
import {
  connect,
  ensureLedger,
  insertRun,
  LEDGER_VERSION,
  LockError,
  listRuns,
  lockName,
  quoteId,
  sql,
  withLock,
} from 'rowback';
import { describe, expect, inject, it } from 'vitest';

const unique = (prefix: string) => `${prefix}_${randomBytes(4).toString('hex')}`;

describe('ledger', () => {
  it('is created once when two connections race, with a primary key on every table', async () => {
    const schema = unique('rbt_ctl');
    const [a, b] = await Promise.all([connect(inject('mysqlUrl')), connect(inject('mysqlUrl'))]);
    try {
      const results = await Promise.allSettled([
        ensureLedger(a, schema),
        ensureLedger(b, schema),
        ensureLedger(a, schema),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
      const tables = await sql<{ TABLE_NAME: string }>`
        SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME`.execute(
        a.db,
      );
      expect(tables.rows.map((r) => r.TABLE_NAME)).toEqual([
        'artifacts',
        'leases',
        'runs',
        'schema_version',
        'steps',
      ]);
      const withoutPk = await sql<{ TABLE_NAME: string }>`
        SELECT t.TABLE_NAME FROM information_schema.TABLES t
        LEFT JOIN information_schema.TABLE_CONSTRAINTS c
          ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME AND c.CONSTRAINT_TYPE = 'PRIMARY KEY'
        WHERE t.TABLE_SCHEMA = ${schema} AND c.CONSTRAINT_NAME IS NULL`.execute(a.db);
      expect(withoutPk.rows).toEqual([]);
      const version = await sql<{
        version: number;
      }>`SELECT version FROM ${sql.id(schema, 'schema_version')}`.execute(a.db);
      expect(version.rows).toEqual([{ version: LEDGER_VERSION }]);
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(a.db);
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('brings a version 1 ledger forward without losing its runs (the lease table, runs.workspace_schema)', async () => {
    const schema = unique('rbt_ctl');
    await using target = await connect(inject('mysqlUrl'));
    try {
      const ledger = await ensureLedger(target, schema);
      await insertRun(ledger, {
        moduleId: 'm',
        mode: 'apply',
        checksum: 'c'.repeat(64),
        paramsJson: '{}',
        operator: 'op',
        clientHost: 'h',
        targetFingerprint: '{}',
        forced: false,
        resumedFrom: null,
        planRunId: null,
        undoOf: null,
        connectionId: null,
      });
      // What a ledger written by the previous release looks like.
      await sql`DROP TABLE ${sql.id(schema, 'leases')}`.execute(target.db);
      await sql`ALTER TABLE ${sql.id(schema, 'runs')} DROP COLUMN workspace_schema`.execute(target.db);
      await sql`UPDATE ${sql.id(schema, 'schema_version')} SET version = 1`.execute(target.db);

      const upgraded = await ensureLedger(target, schema);
      const runs = await listRuns(upgraded);
      expect(runs.map((r) => [r.module_id, r.status, r.workspace_schema])).toEqual([['m', 'running', null]]);
      const leases = await sql<{ n: string }>`SELECT COUNT(*) AS n FROM ${sql.id(schema, 'leases')}`.execute(
        target.db,
      );
      expect(Number(leases.rows[0]?.n)).toBe(0);
      const version = await sql<{
        version: number;
      }>`SELECT version FROM ${sql.id(schema, 'schema_version')}`.execute(target.db);
      expect(version.rows).toEqual([{ version: LEDGER_VERSION }]);
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(target.db);
    }
  });

  it('refuses a ledger newer than this release', async () => {
    const schema = unique('rbt_ctl');
    await using target = await connect(inject('mysqlUrl'));
    try {
      await ensureLedger(target, schema);
      await sql`UPDATE ${sql.id(schema, 'schema_version')} SET version = 99`.execute(target.db);
      await expect(ensureLedger(target, schema)).rejects.toThrow(/version 99, newer than this rowback/);
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(target.db);
    }
  });
});

describe('withLock', () => {
  it('refuses a second holder with LockError naming the holder connection', async () => {
    const [a, b] = await Promise.all([connect(inject('mysqlUrl')), connect(inject('mysqlUrl'))]);
    const name = lockName(a, 'rowback', unique('module'));
    try {
      await withLock(a, name, async (pinned) => {
        const own = await sql<{ id: string }>`SELECT CONNECTION_ID() AS id`.execute(pinned);
        const second = withLock(b, name, async () => 'should not run');
        await expect(second).rejects.toThrow(LockError);
        await expect(second).rejects.toThrow(new RegExp(`held by connection ${own.rows[0]!.id}`));
      });
      // Released in finally: now the second one gets it.
      expect(await withLock(b, name, async () => 'ran')).toBe('ran');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('is freed by the server when the holding connection dies', async () => {
    const [a, b] = await Promise.all([connect(inject('mysqlUrl')), connect(inject('mysqlUrl'))]);
    const name = lockName(a, 'rowback', unique('module'));
    try {
      const holder = withLock(a, name, async (pinned) => {
        const own = await sql<{ id: string }>`SELECT CONNECTION_ID() AS id`.execute(pinned);
        await sql.raw(`KILL CONNECTION ${Number(own.rows[0]!.id)}`).execute(b.db);
        await sql`SELECT 1`.execute(pinned);
      });
      await expect(holder).rejects.toThrow();
      expect(await withLock(b, name, async () => 'ran after holder died')).toBe('ran after holder died');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});
