import { hostname } from 'node:os';
import type { Target } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import {
  DEFAULT_CONTROL_SCHEMA,
  getRun,
  insertRun,
  listRuns,
  listSteps,
  openLedger,
  type RunRow,
  updateRun,
  withLock,
} from '../ledger/index.ts';
import { type UndoRecord, undoWrites } from '../primitives/index.ts';
import { UNDO } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { toErrorReport } from './error-report.ts';
import { targetFingerprint } from './fingerprint.ts';
import { moduleLockName } from './lock-state.ts';
import { operatorName } from './operator-name.ts';
import { RUN_REPORT_VERSION, type RunReport, type TargetReport } from './report.ts';

export interface UndoOptions {
  readonly controlSchema?: string;
  /** Put the before-images back even if the rows changed after the run. */
  readonly force?: boolean;
  readonly confirm: true | ((fingerprint: TargetReport) => boolean | Promise<boolean>);
}

/**
 * Puts back every before-image of an apply run (and the runs it resumed), newest write first, in one
 * transaction. Refuses when the rows changed since the run (unless `force`), when the run was undone
 * already, or when its before-images were dropped by `gc`.
 *
 * @example
 * const report = await undo(target, '42', { confirm: true });
 */
export async function undo(target: Target, runId: string, options: UndoOptions): Promise<RunReport> {
  // Without options there is no confirmation: the contract says how to give one.
  checkCall(UNDO, { target, runId, options: options ?? {} });
  const id = String(runId);
  const ledger = await openLedger(target, options.controlSchema ?? DEFAULT_CONTROL_SCHEMA);
  const run = await getRun(ledger, id);
  if (!run) {
    throw new UsageError(`there is no run ${id} in the ledger ${ledger.schema}`, {
      hint: 'see `rowback status` for run ids',
    });
  }
  if (run.mode !== 'apply') {
    throw new UsageError(`run ${id} is a ${run.mode} run; only apply runs can be undone`, {
      hint: 'see `rowback status` for run ids',
    });
  }
  const fingerprint = targetFingerprint(target);
  if (options.confirm !== true && !(await options.confirm(fingerprint))) {
    throw new UsageError('undo was not confirmed; nothing was changed');
  }
  return withLock(target, moduleLockName(target, ledger.schema, run.module_id), async () => {
    const runs = await listRuns(ledger, { moduleId: run.module_id });
    const chain = resumeChain(runs, run);
    const undone = runs.find(
      (r) => r.mode === 'undo' && r.status === 'done' && r.undo_of !== null && chain.includes(r.undo_of),
    );
    if (undone) throw new UsageError(`run ${id} was undone already by run ${undone.id}`);
    const records: UndoRecord[] = [];
    for (const step of await listSteps(ledger, chain)) {
      if (step.status !== 'done' || !step.detail_json) continue;
      const detail = (JSON.parse(step.detail_json) as { detail?: { undo?: UndoRecord[] } }).detail;
      records.push(...(detail?.undo ?? []));
    }
    const operator = operatorName();
    const undoRunId = await insertRun(ledger, {
      moduleId: run.module_id,
      mode: 'undo',
      checksum: run.checksum,
      paramsJson: run.params_json,
      operator,
      clientHost: hostname(),
      targetFingerprint: JSON.stringify(fingerprint),
      forced: Boolean(options.force),
      resumedFrom: null,
      planRunId: null,
      undoOf: run.id,
      connectionId: null,
    });
    const startedAt = new Date().toISOString();
    let status: RunReport['status'] = 'done';
    let error: RunReport['error'] = null;
    let restored = 0;
    try {
      const result = await undoWrites(target, null, records, {
        force: Boolean(options.force),
      });
      restored = result.restored;
    } catch (caught) {
      status = 'failed';
      error = toErrorReport(caught);
    }
    const report: RunReport = {
      reportVersion: RUN_REPORT_VERSION,
      runId: undoRunId,
      moduleId: run.module_id,
      title: `undo of run ${run.id}`,
      mode: 'undo',
      status,
      checksum: run.checksum,
      operator,
      resumedFrom: null,
      planRunId: null,
      undoOf: run.id,
      forced: Boolean(options.force),
      target: fingerprint,
      workspace: records[0]?.beforeImage.schema ?? '',
      params: (JSON.parse(run.params_json) as { values?: Record<string, unknown> }).values ?? {},
      startedAt,
      finishedAt: new Date().toISOString(),
      steps: [
        {
          seq: 1,
          name: 'undo',
          kind: 'transaction',
          status: status === 'done' ? 'done' : 'failed',
          rows: restored,
          gate: null,
          durationMs: Date.now() - Date.parse(startedAt),
          sqlDigest: null,
          note: `${records.length} write(s) of run ${run.id} put back`,
          operations: [],
          error,
        },
      ],
      transactions: [
        {
          name: 'undo',
          estimatedBytes: 0,
          limitBytes: null,
          atomic: true,
          chunks: null,
          chunksCommitted: null,
        },
      ],
      driftProfiles: [],
      warnings: [],
      backups: {},
      error,
    };
    await updateRun(ledger, undoRunId, {
      status,
      finished: true,
      errorJson: error ? JSON.stringify(error) : null,
      reportJson: JSON.stringify(report),
    });
    return Object.freeze(report);
  });
}

/** The run and the runs it resumed (their writes belong to the same apply). */
function resumeChain(runs: readonly RunRow[], run: RunRow): string[] {
  const chain: string[] = [];
  let current: RunRow | undefined = run;
  while (current) {
    chain.push(current.id);
    const from: string | null = current.resumed_from;
    current = from ? runs.find((r) => r.id === from) : undefined;
  }
  return chain;
}
