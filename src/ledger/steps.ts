import { type Kysely, type Selectable, sql } from 'kysely';
import type { Ledger } from './control-schema.ts';
import type { StepStatus, StepsTable } from './tables.ts';

const NOW = sql<string>`UTC_TIMESTAMP(3)`;

export type StepRow = Readonly<Selectable<StepsTable>>;

export interface StepStart {
  readonly runId: string;
  readonly seq: number;
  readonly name: string;
  readonly kind: string;
  readonly gate: string | null;
}

export async function startStep(ledger: Ledger, step: StepStart): Promise<void> {
  await ledger.db
    .insertInto('steps')
    .values({
      run_id: step.runId,
      seq: step.seq,
      name: step.name,
      kind: step.kind,
      status: 'pending',
      rows_affected: null,
      gate: step.gate,
      started_at: NOW,
      finished_at: null,
      duration_ms: null,
      sql_digest: null,
      detail_json: null,
      error_json: null,
    })
    .execute();
}

export interface StepFinish {
  readonly status: StepStatus;
  readonly rows: number | null;
  readonly durationMs: number;
  readonly sqlDigest: string | null;
  readonly detailJson: string | null;
  readonly errorJson: string | null;
}

/**
 * Finishes a step. Pass the open transaction as `db` for transaction steps: then "done" commits
 * atomically with the data, so a process killed around COMMIT leaves the ledger telling the truth.
 */
export async function finishStep(
  ledger: Ledger,
  runId: string,
  seq: number,
  finish: StepFinish,
  db?: Kysely<any>,
): Promise<void> {
  const target = db ? (db.withSchema(ledger.schema) as typeof ledger.db) : ledger.db;
  await target
    .updateTable('steps')
    .set({
      status: finish.status,
      rows_affected: finish.rows === null ? null : String(finish.rows),
      finished_at: NOW,
      duration_ms: Math.round(finish.durationMs),
      sql_digest: finish.sqlDigest,
      detail_json: finish.detailJson,
      error_json: finish.errorJson,
    })
    .where('run_id', '=', runId)
    .where('seq', '=', seq)
    .execute();
}

export async function listSteps(ledger: Ledger, runIds: readonly string[]): Promise<StepRow[]> {
  if (runIds.length === 0) return [];
  return await ledger.db
    .selectFrom('steps')
    .selectAll()
    .where('run_id', 'in', [...runIds])
    .orderBy('run_id')
    .orderBy('seq')
    .execute();
}
