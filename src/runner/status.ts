import type { Target } from '../db/index.ts';
import {
  DEFAULT_CONTROL_SCHEMA,
  ledgerExists,
  listRuns,
  openLedger,
  type RunStatus,
} from '../ledger/index.ts';
import { STATUS } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { moduleLocked } from './lock-state.ts';

export interface RunSummary {
  readonly runId: string;
  readonly moduleId: string;
  readonly mode: string;
  /** `running` only while the run's session holds the module lock; a dead one shows `interrupted`. */
  readonly status: RunStatus;
  readonly operator: string;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly forced: boolean;
  readonly resumedFrom: string | null;
  readonly undoOf: string | null;
  readonly error: string | null;
}

export interface StatusOptions {
  readonly controlSchema?: string;
  readonly moduleId?: string;
  readonly limit?: number;
}

/** Runs from the ledger, newest first, with dead `running` runs shown as `interrupted`. */
export async function status(target: Target, options: StatusOptions = {}): Promise<RunSummary[]> {
  checkCall(STATUS, { target, options });
  const controlSchema = options.controlSchema ?? DEFAULT_CONTROL_SCHEMA;
  // No ledger yet (nothing ever ran here, or a process died before creating it): no runs, and nothing
  // is created by looking.
  if (!(await ledgerExists(target, controlSchema))) return [];
  const ledger = await openLedger(target, controlSchema);
  const runs = await listRuns(ledger, {
    ...(options.moduleId ? { moduleId: options.moduleId } : {}),
    limit: options.limit ?? 50,
  });
  const locked = new Map<string, boolean>();
  const summaries: RunSummary[] = [];
  for (const run of runs) {
    let runStatus = run.status;
    if (runStatus === 'running') {
      if (!locked.has(run.module_id))
        locked.set(run.module_id, await moduleLocked(target, controlSchema, run.module_id));
      if (!locked.get(run.module_id)) runStatus = 'interrupted';
    }
    const error = run.error_json
      ? ((JSON.parse(run.error_json) as { message?: string }).message ?? null)
      : null;
    summaries.push(
      Object.freeze({
        runId: run.id,
        moduleId: run.module_id,
        mode: run.mode,
        status: runStatus,
        operator: run.operator,
        startedAt: run.started_at,
        finishedAt: run.finished_at,
        forced: run.forced === 1,
        resumedFrom: run.resumed_from,
        undoOf: run.undo_of,
        error,
      }),
    );
  }
  return summaries;
}
