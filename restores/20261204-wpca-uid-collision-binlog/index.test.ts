import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { quoteId, rowFingerprintSql, sql, type Target } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIncident, type Incident } from '../../src/demo/index.ts';
import { type BinlogServer, startBinlogServer } from '../../test/integration/binlog-helpers.ts';
import restore from './index.ts';

const REPO = join(import.meta.dirname, '../..');
const TABLES = {
  wp_users: 'ID',
  wp_usermeta: 'umeta_id',
  wp_ep_participants: 'id',
  wp_ep_results: 'id',
} as const;
type Table = keyof typeof TABLES;

async function columnsOf(db: Target['db'], schema: string, table: string): Promise<string[]> {
  const r = await sql<{ name: string }>`SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
    WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = ${table} ORDER BY ORDINAL_POSITION`.execute(db);
  return r.rows.map((c) => c.name);
}

/** `<rows>:<digest>` of a table's rows, order-independent, byte-exact. */
async function digest(
  db: Target['db'],
  schema: string,
  table: string,
  columns: readonly string[],
): Promise<string> {
  const r = await sql
    .raw<{ n: number; d: string | null }>(
      `SELECT COUNT(*) AS n, CAST(SUM(CRC32(${rowFingerprintSql('t', columns)})) AS CHAR) AS d FROM ${quoteId(schema)}.${quoteId(table)} AS t`,
    )
    .execute(db);
  return `${r.rows[0]?.n}:${r.rows[0]?.d}`;
}

describe('20261204-wpca-uid-collision-binlog: the WPCA incident undone from the binary log alone', () => {
  let log: BinlogServer;
  let box: Sandbox;
  let side: string;
  let incident: Incident;
  let work: string;
  const window: { start?: string; stop?: string } = {};

  /** Copies the four tables into the side schema under a phase prefix. */
  async function copyPhase(prefix: string): Promise<void> {
    for (const table of Object.keys(TABLES)) {
      await box.load({ sql: `CREATE TABLE \`${side}\`.${prefix}_${table} LIKE ${table}` });
      await box.load({ sql: `INSERT INTO \`${side}\`.${prefix}_${table} SELECT * FROM ${table}` });
    }
  }

  beforeAll(async () => {
    log = await startBinlogServer();
    box = await createSandbox({ url: log.server.url }, { prefix: 'wpcl' });
    side = box.schemaName('side');
    await box.load({ sql: `CREATE DATABASE \`${side}\`` });
    work = join(REPO, '.rowback-tmp', `wpca-binlog-test-${randomBytes(4).toString('hex')}`);
    incident = await buildIncident(box.target, {
      users: 240,
      seed: 20261126,
      workDir: work,
      onPhase: async (phase) => {
        const at = await log.position();
        if (phase === 'after-backup') {
          window.start = `${at.file}:${at.position}`;
          await copyPhase('pre');
        }
        if (phase === 'import') {
          window.stop = `${at.file}:${at.position}`;
          await copyPhase('post');
        }
      },
    });
    await copyPhase('final');
  });
  afterAll(async () => {
    await box?.drop();
    await log?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /**
   * The ground truth, from the phase copies alone: the live rows at the end of the incident, with every
   * row the import changed (it differs between the copies before and after the import) put back as it
   * was before — and only those: every later change stays.
   */
  async function expected(table: Table): Promise<string> {
    const key = quoteId(TABLES[table]);
    const columns = await columnsOf(box.target.db, box.schema, table);
    const s = quoteId(side);
    const fp = (alias: string) => rowFingerprintSql(alias, columns);
    await box.load({ sql: `DROP TABLE IF EXISTS ${s}.exp_${table}` });
    await box.load({ sql: `CREATE TABLE ${s}.exp_${table} LIKE ${table}` });
    await box.load({ sql: `INSERT INTO ${s}.exp_${table} SELECT * FROM ${s}.final_${table}` });
    const touched = `SELECT a.${key} FROM ${s}.pre_${table} a LEFT JOIN ${s}.post_${table} b ON b.${key} = a.${key} WHERE b.${key} IS NULL OR ${fp('a')} <> ${fp('b')}
      UNION SELECT b.${key} FROM ${s}.post_${table} b LEFT JOIN ${s}.pre_${table} a ON a.${key} = b.${key} WHERE a.${key} IS NULL`;
    await box.load({
      sql: `CREATE TABLE ${s}.touched_${table} (k BIGINT UNSIGNED PRIMARY KEY) SELECT k FROM (${touched.replace(`SELECT a.${key}`, `SELECT a.${key} AS k`)}) x`,
    });
    await box.load({
      sql: `DELETE FROM ${s}.exp_${table} WHERE ${key} IN (SELECT k FROM ${s}.touched_${table})`,
    });
    await box.load({
      sql: `INSERT INTO ${s}.exp_${table} SELECT * FROM ${s}.pre_${table} WHERE ${key} IN (SELECT k FROM ${s}.touched_${table})`,
    });
    const n = await sql
      .raw<{ n: number }>(`SELECT COUNT(*) AS n FROM ${s}.touched_${table}`)
      .execute(box.target.db);
    expect(Number(n.rows[0]?.n), `rows of ${table} the import changed`).toBeGreaterThan(0);
    return digest(box.target.db, side, `exp_${table}`, columns);
  }

  it('equals the ground truth on all four tables and keeps every change made after the import', async () => {
    expect(window.start && window.stop).toBeTruthy();
    const params = { start: window.start!, stop: window.stop!, importBatch: incident.importBatch };
    const planned = await box.plan(restore, params);
    expect(planned.status, JSON.stringify(planned.error)).toBe('done');
    const applied = await box.apply(restore, params, { confirmManual: async () => true });
    expect(applied.status, JSON.stringify(applied.error)).toBe('done');
    for (const table of Object.keys(TABLES) as Table[]) {
      const columns = await columnsOf(box.target.db, box.schema, table);
      expect(await digest(box.target.db, box.schema, table, columns), table).toBe(await expected(table));
    }
    // The users the window reverted are exactly the collided ones; the import's EP rows are gone.
    const users = applied.steps.find((s) => s.name === 'window-users');
    expect(users?.rows).toBe(incident.collidedUserIds.length);
    const left = await sql
      .raw<{ n: number }>(
        `SELECT COUNT(*) AS n FROM wp_ep_participants WHERE import_batch = ${JSON.stringify(incident.importBatch)}`,
      )
      .execute(box.target.db);
    expect(Number(left.rows[0]?.n)).toBe(0);
    // Logins of hit members after the import (session_tokens rows) survived: they are in final_ and live alike.
    const logins = incident.legitimateChanges.filter((c) => c.phase === 'after-import' && c.kind === 'login');
    expect(logins.length).toBeGreaterThan(0);
    const tokens = await sql
      .raw<{ n: number }>(
        `SELECT COUNT(*) AS n FROM wp_usermeta l JOIN \`${side}\`.final_wp_usermeta f USING (umeta_id)
        WHERE l.meta_key = 'session_tokens' AND l.meta_value = f.meta_value AND l.user_id IN (${logins.map((c) => c.userId).join(',')})`,
      )
      .execute(box.target.db);
    expect(Number(tokens.rows[0]?.n)).toBeGreaterThanOrEqual(logins.length);
  });
});
