import { type Kysely, type Selectable, sql } from 'kysely';
import type { Ledger } from './control-schema.ts';
import type { RunMode, RunStatus, RunsTable } from './tables.ts';

const NOW = sql<string>`UTC_TIMESTAMP(3)`;

export interface NewRun {
  readonly moduleId: string;
  readonly mode: RunMode;
  readonly checksum: string;
  readonly paramsJson: string;
  readonly operator: string;
  readonly clientHost: string;
  readonly targetFingerprint: string;
  readonly forced: boolean;
  readonly resumedFrom: string | null;
  readonly planRunId: string | null;
  readonly undoOf: string | null;
  readonly connectionId: string | null;
}

/** A run row as read back; `status` already says `interrupted` for a dead `running` run. */
export type RunRow = Readonly<Selectable<RunsTable>>;

export async function insertRun(ledger: Ledger, run: NewRun): Promise<string> {
  const result = await ledger.db
    .insertInto('runs')
    .values({
      module_id: run.moduleId,
      mode: run.mode,
      status: 'running',
      checksum: run.checksum,
      params_json: run.paramsJson,
      operator: run.operator,
      client_host: run.clientHost,
      target_fingerprint: run.targetFingerprint,
      provenance_json: null,
      forced: run.forced ? 1 : 0,
      resumed_from: run.resumedFrom,
      plan_run_id: run.planRunId,
      undo_of: run.undoOf,
      scope_hash: null,
      connection_id: run.connectionId,
      started_at: NOW,
      heartbeat_at: NOW,
      finished_at: null,
      error_json: null,
      report_json: null,
      workspace_schema: null,
    })
    .executeTakeFirstOrThrow();
  return String(result.insertId);
}

export async function heartbeat(ledger: Ledger, runId: string): Promise<void> {
  await ledger.db.updateTable('runs').set({ heartbeat_at: NOW }).where('id', '=', runId).execute();
}

export interface RunUpdate {
  readonly status?: RunStatus;
  readonly scopeHash?: string | null;
  readonly provenanceJson?: string | null;
  readonly errorJson?: string | null;
  readonly reportJson?: string | null;
  readonly workspaceSchema?: string;
  readonly finished?: boolean;
}

/** Updates a run; `db` may be an open transaction so the update commits with the data. */
export async function updateRun(
  ledger: Ledger,
  runId: string,
  update: RunUpdate,
  db?: Kysely<any>,
): Promise<void> {
  const target = db ? (db.withSchema(ledger.schema) as typeof ledger.db) : ledger.db;
  await target
    .updateTable('runs')
    .set({
      ...(update.status !== undefined ? { status: update.status } : {}),
      ...(update.scopeHash !== undefined ? { scope_hash: update.scopeHash } : {}),
      ...(update.provenanceJson !== undefined ? { provenance_json: update.provenanceJson } : {}),
      ...(update.errorJson !== undefined ? { error_json: update.errorJson } : {}),
      ...(update.reportJson !== undefined ? { report_json: update.reportJson } : {}),
      ...(update.workspaceSchema !== undefined ? { workspace_schema: update.workspaceSchema } : {}),
      ...(update.finished ? { finished_at: NOW } : {}),
      heartbeat_at: NOW,
    })
    .where('id', '=', runId)
    .execute();
}

export async function getRun(ledger: Ledger, runId: string): Promise<RunRow | undefined> {
  return await ledger.db.selectFrom('runs').selectAll().where('id', '=', runId).executeTakeFirst();
}

export interface RunQuery {
  readonly moduleId?: string;
  readonly mode?: RunMode;
  readonly statuses?: readonly RunStatus[];
  readonly limit?: number;
}

/** Runs newest first. */
export async function listRuns(ledger: Ledger, query: RunQuery = {}): Promise<RunRow[]> {
  let select = ledger.db.selectFrom('runs').selectAll().orderBy('id', 'desc');
  if (query.moduleId) select = select.where('module_id', '=', query.moduleId);
  if (query.mode) select = select.where('mode', '=', query.mode);
  if (query.statuses?.length) select = select.where('status', 'in', [...query.statuses]);
  if (query.limit) select = select.limit(query.limit);
  return await select.execute();
}

/**
 * Marks `running` runs of a module as `interrupted`. Only called while holding the module's lock (its
 * lease, cluster-wide): a run that still says `running` then cannot be alive (a live run holds the
 * lease), its process died.
 */
export async function markInterrupted(ledger: Ledger, moduleId: string): Promise<number> {
  const result = await ledger.db
    .updateTable('runs')
    .set({ status: 'interrupted', finished_at: NOW })
    .where('module_id', '=', moduleId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
