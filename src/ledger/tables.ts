import type { ColumnType, Generated } from 'kysely';

/** Run statuses as the ledger stores them. `interrupted` is derived for runs whose process died. */
export type RunStatus = 'running' | 'done' | 'failed' | 'interrupted' | 'awaiting';
export type RunMode = 'plan' | 'apply' | 'undo';
export type StepStatus = 'done' | 'failed' | 'skipped' | 'pending' | 'awaiting';

/** Datetimes travel as strings (`dateStrings`), written as `YYYY-MM-DD HH:MM:SS.fff` UTC. */
type Timestamp = ColumnType<string, string, string>;

export interface SchemaVersionTable {
  readonly id: number;
  version: number;
}

export interface RunsTable {
  readonly id: Generated<string>;
  module_id: string;
  mode: RunMode;
  status: RunStatus;
  checksum: string;
  params_json: string;
  operator: string;
  client_host: string;
  target_fingerprint: string;
  provenance_json: string | null;
  forced: number;
  resumed_from: string | null;
  plan_run_id: string | null;
  undo_of: string | null;
  scope_hash: string | null;
  connection_id: string | null;
  started_at: Timestamp;
  heartbeat_at: Timestamp;
  finished_at: Timestamp | null;
  error_json: string | null;
  report_json: string | null;
  /** Null for runs recorded before ledger version 2 (they used `rb_<module id>`). */
  workspace_schema: string | null;
}

export interface StepsTable {
  run_id: string;
  seq: number;
  name: string;
  kind: string;
  status: StepStatus;
  rows_affected: string | null;
  gate: string | null;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  sql_digest: string | null;
  detail_json: string | null;
  error_json: string | null;
}

export type ArtifactKind =
  | 'workspace'
  | 'backup-table'
  | 'scope'
  | 'snapshot'
  | 'before-image'
  | 'inserted-keys';

export interface ArtifactsTable {
  readonly id: Generated<string>;
  run_id: string;
  module_id: string;
  step_name: string;
  kind: ArtifactKind;
  schema_name: string;
  table_name: string;
  row_count: string | null;
  checksum: string | null;
  provenance_json: string | null;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  dropped_at: Timestamp | null;
}

/** One row per (cluster, lock key): who holds the lock, until when. See `src/ledger/lease.ts`. */
export interface LeasesTable {
  cluster_id: string;
  lease_key: string;
  token: string;
  run_id: string | null;
  client_host: string;
  client_pid: number;
  node_hostname: string;
  node_server_uuid: string;
  node_port: number;
  node_connection_id: string;
  acquired_at: Timestamp;
  heartbeat_at: Timestamp;
  expires_at: Timestamp;
}

/** The control schema as kysely sees it: `target.db.withSchema(controlSchema)`. */
export interface LedgerDatabase {
  schema_version: SchemaVersionTable;
  runs: RunsTable;
  steps: StepsTable;
  artifacts: ArtifactsTable;
  leases: LeasesTable;
}
