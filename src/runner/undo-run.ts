import { hostname } from 'node:os';
import { assertWritableMember, readClusterTopology, type Target } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import {
  DEFAULT_CONTROL_SCHEMA,
  finishStep,
  getRun,
  insertRun,
  type Ledger,
  listRuns,
  listSteps,
  openLedger,
  type RunRow,
  startStep,
  updateRun,
} from '../ledger/index.ts';
import { type UndoRecord, undoWrites } from '../primitives/index.ts';
import { UNDO } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { agreementOutcome } from './agreement-outcome.ts';
import { withCertificationRetry } from './certification-retry.ts';
import type { PeerAgreement } from './cluster-agreement.ts';
import { agreementReport, throttleReport } from './cluster-report.ts';
import { toErrorReport } from './error-report.ts';
import { targetFingerprint } from './fingerprint.ts';
import { withModuleLock } from './module-lock.ts';
import { operatorName } from './operator-name.ts';
import { RUN_REPORT_VERSION, type RunReport, type StepReport, type TargetReport } from './report.ts';
import type { RunEventListener } from './run-events.ts';
import { resumeChain, type StepUndo, undoRecordsByStep } from './run-undo-records.ts';
import { Throttle, type ThrottleOptions } from './throttle.ts';

export interface UndoOptions {
  readonly controlSchema?: string;
  /** Put the before-images back even if the rows changed after the run. */
  readonly force?: boolean;
  readonly confirm: true | ((fingerprint: TargetReport) => boolean | Promise<boolean>);
  /** How long the module's lease lives without renewal; see `RunOptions.leaseTtlMs`. */
  readonly leaseTtlMs?: number;
  /** Pacing of a chunked undo, as for apply; its `replicas` are compared after the undo too. */
  readonly throttle?: ThrottleOptions;
  readonly onEvent?: RunEventListener;
}

/**
 * Puts back every before-image of an apply run (and the runs it resumed), newest write first, in one
 * transaction — or, when the apply was chunked (its transactions had to fit a cluster's limits), one
 * transaction per committed chunk in reverse order, each recorded in the ledger with the rows it put
 * back, so an undo that stops half-way is continued by running it again. Refuses when the rows changed
 * since the run (unless `force`), when the run was undone already, or when its before-images were
 * dropped by `gc`. On a cluster, every member's rows are compared afterwards.
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
  const topology = await readClusterTopology(target.db, target.server.flavour);
  assertWritableMember(topology, target.description);
  const fingerprint = targetFingerprint(target);
  if (options.confirm !== true && !(await options.confirm(fingerprint))) {
    throw new UsageError('undo was not confirmed; nothing was changed');
  }
  const lockOptions = options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {};
  return withModuleLock(target, ledger, run.module_id, lockOptions, async (lock) => {
    const runs = await listRuns(ledger, { moduleId: run.module_id });
    const chain = resumeChain(runs, run);
    const undone = runs.find(
      (r) => r.mode === 'undo' && r.status === 'done' && r.undo_of !== null && chain.includes(r.undo_of),
    );
    if (undone) throw new UsageError(`run ${id} was undone already by run ${undone.id}`);
    const groups = await undoRecordsByStep(ledger, chain);
    const records: UndoRecord[] = groups.flatMap((g) => g.records);
    const chunked = groups.some((g) => g.step.kind === 'chunk');
    const undoneBefore = await stepsUndoneBefore(ledger, runs, run);
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
    await lock.setRunId(undoRunId);
    const startedAt = new Date().toISOString();
    const onEvent = options.onEvent ?? (() => undefined);
    const warnings: string[] = [];
    const warn = (message: string) => {
      warnings.push(message);
      onEvent({ type: 'warning', message });
    };
    let status: RunReport['status'] = 'done';
    let error: RunReport['error'] = null;
    let agreement: readonly PeerAgreement[] | undefined;
    const steps: StepReport[] = [];
    const throttle = chunked
      ? await Throttle.open(target, topology, ledger, undoRunId, options.throttle ?? {}, (pause) =>
          onEvent({ type: 'throttle', ...pause }),
        )
      : null;
    try {
      if (chunked) {
        await undoChunks(target, ledger, undoRunId, [...groups].reverse(), undoneBefore, {
          force: Boolean(options.force),
          throttle,
          warn,
          steps,
        });
      } else {
        const started = performance.now();
        try {
          const result = await withCertificationRetry('undo', warn, () =>
            undoWrites(target, null, records, { force: Boolean(options.force) }),
          );
          steps.push(
            undoStep(
              1,
              'undo',
              'done',
              result.restored,
              started,
              `${records.length} write(s) of run ${run.id} put back`,
              null,
            ),
          );
        } catch (caught) {
          steps.push(
            undoStep(
              1,
              'undo',
              'failed',
              0,
              started,
              `${records.length} write(s) of run ${run.id} put back`,
              toErrorReport(caught),
            ),
          );
          throw caught;
        }
      }
      const outcome = await agreementOutcome(target, topology, records, options.throttle?.replicas);
      agreement = outcome.peers;
      for (const w of outcome.warnings) warn(w);
      if (outcome.error) throw outcome.error;
    } catch (caught) {
      status = 'failed';
      error = toErrorReport(caught);
    } finally {
      await throttle?.close();
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
      steps,
      transactions: [
        {
          name: 'undo',
          estimatedBytes: 0,
          limitBytes: null,
          atomic: !chunked,
          chunks: chunked ? groups.length : null,
          chunksCommitted: chunked ? steps.filter((s) => s.status !== 'failed').length : null,
        },
      ],
      driftProfiles: [],
      warnings,
      backups: {},
      throttle: throttleReport(throttle),
      ...(agreement ? { agreement: agreementReport(agreement) } : {}),
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

/** Names of the chunk undos that earlier, unfinished undo runs of `run` committed. */
async function stepsUndoneBefore(ledger: Ledger, runs: readonly RunRow[], run: RunRow): Promise<Set<string>> {
  const chain = resumeChain(runs, run);
  const earlier = runs.filter(
    (r) => r.mode === 'undo' && r.undo_of !== null && chain.includes(r.undo_of) && r.status !== 'done',
  );
  const steps = await listSteps(
    ledger,
    earlier.map((r) => r.id),
  );
  return new Set(steps.filter((s) => s.status === 'done').map((s) => s.name));
}

interface ChunkUndoSettings {
  readonly force: boolean;
  readonly throttle: Throttle | null;
  readonly warn: (message: string) => void;
  readonly steps: StepReport[];
}

/**
 * Undoes a chunked apply one committed chunk at a time, newest first: each chunk's before-images go
 * back in their own transaction (it fitted the cluster's limits when applied), and its ledger row
 * `undo <chunk>` commits with them, so a rerun skips exactly the chunks already put back.
 */
async function undoChunks(
  target: Target,
  ledger: Ledger,
  undoRunId: string,
  newestFirst: readonly StepUndo[],
  undoneBefore: ReadonlySet<string>,
  settings: ChunkUndoSettings,
): Promise<void> {
  for (const [i, group] of newestFirst.entries()) {
    const seq = i + 1;
    const name = `undo ${group.step.name}`;
    const started = performance.now();
    await startStep(ledger, { runId: undoRunId, seq, name, kind: 'chunk', gate: null });
    if (undoneBefore.has(name)) {
      const skipped = undoStep(seq, name, 'skipped', null, started, 'put back by an earlier undo run', null);
      await finishStep(ledger, undoRunId, seq, finishOf(skipped));
      settings.steps.push(skipped);
      continue;
    }
    try {
      await settings.throttle?.beforeChunk(name);
      const result = await withCertificationRetry(name, settings.warn, () =>
        undoWrites(target, null, group.records, {
          force: settings.force,
          beforeCommit: async (tx) => {
            const done = undoStep(seq, name, 'done', null, started, null, null);
            await finishStep(ledger, undoRunId, seq, finishOf(done), tx);
          },
        }),
      );
      const note = `${group.records.length} write(s) of ${group.step.name} put back`;
      settings.steps.push(undoStep(seq, name, 'done', result.restored, started, note, null));
    } catch (caught) {
      const failed = undoStep(seq, name, 'failed', null, started, null, toErrorReport(caught));
      await finishStep(ledger, undoRunId, seq, finishOf(failed)).catch(() => undefined);
      settings.steps.push(failed);
      throw caught;
    }
  }
}

function undoStep(
  seq: number,
  name: string,
  status: StepReport['status'],
  rows: number | null,
  started: number,
  note: string | null,
  error: StepReport['error'],
): StepReport {
  return {
    seq,
    name,
    kind: name === 'undo' ? 'transaction' : 'chunk',
    status,
    rows,
    gate: null,
    durationMs: Math.round(performance.now() - started),
    sqlDigest: null,
    note,
    operations: [],
    error,
  };
}

function finishOf(step: StepReport) {
  return {
    status: step.status,
    rows: step.rows,
    durationMs: step.durationMs,
    sqlDigest: null,
    detailJson: step.note ? JSON.stringify({ note: step.note }) : null,
    errorJson: step.error ? JSON.stringify(step.error) : null,
  };
}
