import { type Kysely, sql } from 'kysely';
import { assertIdentifier, quoteId, type Target } from '../db/index.ts';
import { RowbackError, UsageError } from '../errors/index.ts';
import type { LedgerDatabase } from './tables.ts';

export const DEFAULT_CONTROL_SCHEMA = 'rowback';

/**
 * Each entry migrates the control schema from version i to i+1. Append only: a released entry never
 * changes, so any older ledger can be brought forward. Every table has a primary key (Group
 * Replication and `sql_require_primary_key` refuse tables without one).
 */
const MIGRATIONS: readonly ((schema: string) => readonly string[])[] = [
  (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}.\`runs\` (
      \`id\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      \`module_id\` VARCHAR(190) NOT NULL,
      \`mode\` VARCHAR(16) NOT NULL,
      \`status\` VARCHAR(16) NOT NULL,
      \`checksum\` CHAR(64) NOT NULL,
      \`params_json\` LONGTEXT NOT NULL,
      \`operator\` VARCHAR(190) NOT NULL,
      \`client_host\` VARCHAR(255) NOT NULL,
      \`target_fingerprint\` TEXT NOT NULL,
      \`provenance_json\` LONGTEXT NULL,
      \`forced\` TINYINT NOT NULL DEFAULT 0,
      \`resumed_from\` BIGINT UNSIGNED NULL,
      \`plan_run_id\` BIGINT UNSIGNED NULL,
      \`undo_of\` BIGINT UNSIGNED NULL,
      \`scope_hash\` CHAR(64) NULL,
      \`connection_id\` BIGINT UNSIGNED NULL,
      \`started_at\` DATETIME(3) NOT NULL,
      \`heartbeat_at\` DATETIME(3) NOT NULL,
      \`finished_at\` DATETIME(3) NULL,
      \`error_json\` LONGTEXT NULL,
      \`report_json\` LONGTEXT NULL,
      KEY \`module_runs\` (\`module_id\`, \`id\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `CREATE TABLE IF NOT EXISTS ${s}.\`steps\` (
      \`run_id\` BIGINT UNSIGNED NOT NULL,
      \`seq\` INT UNSIGNED NOT NULL,
      \`name\` VARCHAR(190) NOT NULL,
      \`kind\` VARCHAR(32) NOT NULL,
      \`status\` VARCHAR(16) NOT NULL,
      \`rows_affected\` BIGINT NULL,
      \`gate\` TEXT NULL,
      \`started_at\` DATETIME(3) NULL,
      \`finished_at\` DATETIME(3) NULL,
      \`duration_ms\` INT UNSIGNED NULL,
      \`sql_digest\` CHAR(64) NULL,
      \`detail_json\` LONGTEXT NULL,
      \`error_json\` LONGTEXT NULL,
      PRIMARY KEY (\`run_id\`, \`seq\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `CREATE TABLE IF NOT EXISTS ${s}.\`artifacts\` (
      \`id\` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
      \`run_id\` BIGINT UNSIGNED NOT NULL,
      \`module_id\` VARCHAR(190) NOT NULL,
      \`step_name\` VARCHAR(190) NOT NULL,
      \`kind\` VARCHAR(32) NOT NULL,
      \`schema_name\` VARCHAR(64) NOT NULL,
      \`table_name\` VARCHAR(64) NOT NULL,
      \`row_count\` BIGINT NULL,
      \`checksum\` VARCHAR(64) NULL,
      \`provenance_json\` LONGTEXT NULL,
      \`created_at\` DATETIME(3) NOT NULL,
      \`expires_at\` DATETIME(3) NULL,
      \`dropped_at\` DATETIME(3) NULL,
      KEY \`run_artifacts\` (\`run_id\`),
      KEY \`expiry\` (\`expires_at\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
  ],
  // The cluster-wide module lock (src/ledger/lease.ts), and each run's own workspace schema (resume
  // continues in the workspace of the run it resumes).
  (s) => [
    `CREATE TABLE IF NOT EXISTS ${s}.\`leases\` (
      \`cluster_id\` VARCHAR(190) NOT NULL,
      \`lease_key\` VARCHAR(190) NOT NULL,
      \`token\` CHAR(36) NOT NULL,
      \`run_id\` BIGINT UNSIGNED NULL,
      \`client_host\` VARCHAR(255) NOT NULL,
      \`client_pid\` INT UNSIGNED NOT NULL,
      \`node_hostname\` VARCHAR(255) NOT NULL,
      \`node_server_uuid\` VARCHAR(190) NOT NULL,
      \`node_port\` INT UNSIGNED NOT NULL,
      \`node_connection_id\` BIGINT UNSIGNED NOT NULL,
      \`acquired_at\` DATETIME(3) NOT NULL,
      \`heartbeat_at\` DATETIME(3) NOT NULL,
      \`expires_at\` DATETIME(3) NOT NULL,
      PRIMARY KEY (\`cluster_id\`, \`lease_key\`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
    `ALTER TABLE ${s}.\`runs\` ADD COLUMN \`workspace_schema\` VARCHAR(64) NULL`,
  ],
];

/** The version this release of rowback writes and reads. */
export const LEDGER_VERSION = MIGRATIONS.length;

/** A ledger handle: the control schema name and a kysely instance typed for its tables. */
export interface Ledger {
  readonly schema: string;
  readonly db: Kysely<LedgerDatabase>;
}

/**
 * Creates or migrates the control schema and returns a typed handle. Safe when several processes race
 * (check → `IF NOT EXISTS` → re-check on error); refuses a ledger newer than this release.
 */
export async function ensureLedger(target: Target, schema = DEFAULT_CONTROL_SCHEMA): Promise<Ledger> {
  assertIdentifier(schema, 'control schema');
  const ledger: Ledger = Object.freeze({
    schema,
    db: target.db.withSchema(schema) as Kysely<LedgerDatabase>,
  });
  const current = await readVersion(target, schema);
  if (current > LEDGER_VERSION) {
    throw new RowbackError(
      `control schema ${schema} is at version ${current}, newer than this rowback (${LEDGER_VERSION})`,
      { hint: 'upgrade rowback before running it against this server' },
    );
  }
  if (current === LEDGER_VERSION) return ledger;
  try {
    await migrate(target, schema, current);
  } catch (error) {
    // Another process may have migrated at the same moment; its result is as good as ours.
    if ((await readVersion(target, schema)) !== LEDGER_VERSION) throw error;
  }
  return ledger;
}

/** Whether a ledger exists in `schema` (without creating anything). */
export async function ledgerExists(target: Target, schema = DEFAULT_CONTROL_SCHEMA): Promise<boolean> {
  assertIdentifier(schema, 'control schema');
  return (await readVersion(target, schema)) > 0;
}

/**
 * Opens an existing ledger without creating or changing anything, for read-only commands (`status`,
 * `render`) and for commands that only act on what a ledger records (`gc`, `undo`).
 */
export async function openLedger(target: Target, schema = DEFAULT_CONTROL_SCHEMA): Promise<Ledger> {
  assertIdentifier(schema, 'control schema');
  const version = await readVersion(target, schema);
  if (version === 0) {
    throw new UsageError(`there is no rowback ledger in schema ${schema} on ${target.description}`, {
      hint: 'check --control-schema (or ROWBACK_CONTROL_SCHEMA); a ledger is created by the first plan or apply',
      facts: { controlSchema: schema },
    });
  }
  if (version !== LEDGER_VERSION) {
    throw new RowbackError(
      `control schema ${schema} is at version ${version}, this rowback reads version ${LEDGER_VERSION}`,
      {
        hint:
          version > LEDGER_VERSION
            ? 'upgrade rowback'
            : 'run a plan with this rowback once to migrate the ledger',
      },
    );
  }
  return Object.freeze({ schema, db: target.db.withSchema(schema) as Kysely<LedgerDatabase> });
}

async function migrate(target: Target, schema: string, from: number): Promise<void> {
  const s = quoteId(schema);
  await sql.raw(`CREATE DATABASE IF NOT EXISTS ${s} DEFAULT CHARACTER SET utf8mb4`).execute(target.db);
  await sql
    .raw(
      `CREATE TABLE IF NOT EXISTS ${s}.\`schema_version\` (\`id\` TINYINT UNSIGNED NOT NULL PRIMARY KEY, \`version\` INT UNSIGNED NOT NULL) ENGINE=InnoDB`,
    )
    .execute(target.db);
  for (let version = from; version < LEDGER_VERSION; version++) {
    for (const statement of MIGRATIONS[version]!(s)) await sql.raw(statement).execute(target.db);
    await sql
      .raw(
        `INSERT INTO ${s}.\`schema_version\` (\`id\`, \`version\`) VALUES (1, ${version + 1}) ON DUPLICATE KEY UPDATE \`version\` = GREATEST(\`version\`, ${version + 1})`,
      )
      .execute(target.db);
  }
}

async function readVersion(target: Target, schema: string): Promise<number> {
  const exists = await sql<{ n: number | string }>`
    SELECT COUNT(*) AS n FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${schema} AND TABLE_NAME = 'schema_version'`.execute(target.db);
  if (Number(exists.rows[0]?.n ?? 0) === 0) return 0;
  const row = await sql<{ version: number }>`
    SELECT version FROM ${sql.id(schema, 'schema_version')} WHERE id = 1`.execute(target.db);
  return Number(row.rows[0]?.version ?? 0);
}
