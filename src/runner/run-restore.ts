import { hostname } from 'node:os';
import type { Attributes } from '@opentelemetry/api';
import { sql } from 'kysely';
import { assertWritableMember, readClusterTopology, type Target } from '../db/index.ts';
import { AlreadyAppliedError, isErrorNamed, UsageError } from '../errors/index.ts';
import {
  DEFAULT_CONTROL_SCHEMA,
  ensureLedger,
  heartbeat,
  insertRun,
  type Ledger,
  listRuns,
  listSteps,
  markInterrupted,
  type RunRow,
  type StepRow,
  updateRun,
} from '../ledger/index.ts';
import { runWorkspaceSchemaName, workspaceSchemaName } from '../primitives/index.ts';
import { failSpan, inSpan } from '../telemetry/spans.ts';
import { APPLY, PLAN } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { agreementOutcome } from './agreement-outcome.ts';
import type { PeerAgreement } from './cluster-agreement.ts';
import { agreementReport, throttleReport } from './cluster-report.ts';
import type { RestoreModule } from './define-restore.ts';
import { validateParams } from './define-restore.ts';
import { toErrorReport } from './error-report.ts';
import { type Mode, RunExecution } from './execution.ts';
import { targetFingerprint } from './fingerprint.ts';
import { withModuleLock } from './module-lock.ts';
import { operatorName } from './operator-name.ts';
import { paramsDigest, redactParams } from './params-record.ts';
import { RUN_REPORT_VERSION, type RunReport, type TargetReport } from './report.ts';
import { createRestoreContext, type PlannedOperations } from './restore-context.ts';
import type { RunEventListener } from './run-events.ts';
import { resumeChain, writesOfRun } from './run-undo-records.ts';
import { Throttle, type ThrottleOptions } from './throttle.ts';

export interface RunOptions {
  /** Control schema holding the ledger (default `rowback`). */
  readonly controlSchema?: string;
  /**
   * Workspace schema. By default every run gets its own, `rb_<module id>_r<run id>` (a resumed run
   * continues in the workspace of the run it resumes), so two runs never touch each other's tables.
   * One given here is used by every run that names it.
   */
  readonly workspaceSchema?: string;
  /** sha256 of the module's files, from `loadModule`; defaults to a digest of the module's code. */
  readonly checksum?: string;
  readonly onEvent?: RunEventListener;
  /** Asked for each manual step in interactive runs; without it, a manual step stops the run as `awaiting`. */
  readonly confirmManual?: (name: string, instructions: string) => Promise<boolean>;
  /** How often the ledger heartbeat is written and the module's lease renewed, in ms. */
  readonly heartbeatMs?: number;
  /**
   * How long the module's lease lives without renewal (default 30 s): after a run's process died, a
   * run through another member of a cluster is refused this long (through the same server, at once).
   */
  readonly leaseTtlMs?: number;
}

export interface ApplyOptions extends RunOptions {
  /**
   * The operator's confirmation of the target: `true` (like `--yes`) or a function shown the target's
   * fingerprint. Required: an apply never runs unconfirmed.
   */
  readonly confirm: true | ((fingerprint: TargetReport) => boolean | Promise<boolean>);
  /** Run again although the module was applied already (recorded in the ledger). */
  readonly force?: boolean;
  /** Continue the last failed, interrupted or awaiting apply from its first unfinished step. */
  readonly resume?: boolean;
  /** Refuse unless the server's `@@hostname` equals this. */
  readonly expectHost?: string;
  /**
   * Pacing of chunked transactions; on by default when replicas or cluster members are known. Its
   * `replicas` are also compared with the target after the run (with the cluster members).
   */
  readonly throttle?: ThrottleOptions;
}

/**
 * Dry run: extracts and scopes for real (workspace only), runs every transaction and rolls it back
 * (so its verifications show the post-state), lists manual steps, reports drift profiles. Live data is
 * never changed. Never throws for a failed run: the report says which step failed and why.
 *
 * @example
 * const report = await plan(target, restore, { backup: '/backups/wp.sql.gz', importBatch: 'b1' });
 * if (report.status !== 'done') console.error(report.error);
 */
export async function plan(
  target: Target,
  restore: RestoreModule,
  params: unknown,
  options: RunOptions = {},
): Promise<RunReport> {
  checkCall(PLAN, { target, restore, options });
  return traced(target, restore, 'plan', () => runModule(target, restore, params, 'plan', options));
}

/**
 * Applies a restore module: lock, already-applied and checksum checks, confirmation, then the module's
 * steps for real. Never throws for a failed run; throws for a refused one (`LockError`,
 * `AlreadyAppliedError`, `UsageError`).
 */
export async function apply(
  target: Target,
  restore: RestoreModule,
  params: unknown,
  options: ApplyOptions,
): Promise<RunReport> {
  // Without options there is no confirmation: the contract says how to give one.
  checkCall(APPLY, { target, restore, options: options ?? {} });
  return traced(target, restore, 'apply', () => runModule(target, restore, params, 'apply', options));
}

/**
 * The run as a `rowback.run` span: module, mode, the target's fingerprint, then the run id and
 * status from the report (a failed run is an error span; a refused one throws through it).
 */
async function traced(
  target: Target,
  restore: RestoreModule,
  mode: Mode,
  run: () => Promise<RunReport>,
): Promise<RunReport> {
  const attributes = {
    'rowback.module': restore.id,
    'rowback.mode': mode,
    ...fingerprintAttributes(targetFingerprint(target)),
  };
  return inSpan('rowback.run', attributes, async (span) => {
    const report = await run();
    span.setAttributes({ 'rowback.run_id': report.runId ?? '', 'rowback.status': report.status });
    if (report.status === 'failed' && report.error)
      failSpan(span, Object.assign(new Error(report.error.message), { name: report.error.name }));
    return report;
  });
}

/** The target as span attributes: its fingerprint (the description has no password). */
function fingerprintAttributes(fingerprint: TargetReport): Attributes {
  return {
    'db.system': fingerprint.flavour,
    'server.address': fingerprint.host,
    'rowback.target': fingerprint.description,
    'rowback.target.server_uuid': fingerprint.serverUuid,
    'rowback.target.schema': fingerprint.schema,
    'rowback.target.user': fingerprint.user,
    'rowback.target.version': fingerprint.version,
  };
}

interface RunContextInfo {
  readonly ledger: Ledger;
  readonly fingerprint: TargetReport;
  readonly liveSchema: string;
  readonly checksum: string;
}

async function runModule(
  target: Target,
  restore: RestoreModule,
  rawParams: unknown,
  mode: Mode,
  options: RunOptions & Partial<ApplyOptions>,
): Promise<RunReport> {
  const params = await validateParams(restore, rawParams);
  const liveSchema = target.server.defaultSchema;
  if (!liveSchema) {
    throw new UsageError(`the connection ${target.description} names no schema`, {
      hint: 'put the live schema in the URL: mysql://user@host:3306/<schema>',
    });
  }
  // Before anything is written (the ledger included): a read-only server, a SECONDARY or a node out of
  // the Primary component is refused, naming the member to use; so is a topology we cannot read.
  const topology = await readClusterTopology(target.db, target.server.flavour);
  assertWritableMember(topology, target.description);
  const ledger = await ensureLedger(target, options.controlSchema ?? DEFAULT_CONTROL_SCHEMA);
  const info: RunContextInfo = {
    ledger,
    fingerprint: targetFingerprint(target),
    liveSchema,
    checksum: options.checksum ?? codeChecksum(restore),
  };
  const lockOptions = {
    ...(options.leaseTtlMs !== undefined ? { leaseTtlMs: options.leaseTtlMs } : {}),
    ...(options.heartbeatMs !== undefined ? { renewMs: options.heartbeatMs } : {}),
  };
  return withModuleLock(target, ledger, restore.id, lockOptions, async (lock) => {
    // We hold the module's lease, so a run of it still marked running has died with its process.
    await markInterrupted(ledger, restore.id);
    const digest = paramsDigest(params);
    const warnings: string[] = [];
    let resumedFrom: RunRow | undefined;
    let planRun: RunRow | undefined;
    if (mode === 'apply') {
      const applied = await findApplied(ledger, restore.id);
      if (applied && !options.force) {
        throw new AlreadyAppliedError(
          `${restore.id} was applied by run ${applied.id} at ${applied.finished_at} UTC`,
          {
            hint: 'undo that run first, or pass --force to apply again (recorded in the ledger)',
            facts: { runId: applied.id },
          },
        );
      }
      if (options.resume) resumedFrom = await findResumable(ledger, restore.id, digest);
      planRun = await findPlan(ledger, restore.id, digest);
      if (!planRun)
        warnings.push(
          `no successful plan of ${restore.id} with these params is on record; run plan first to see what apply will do`,
        );
      else if (planRun.checksum !== info.checksum) {
        warnings.push(
          `module ${restore.id} changed since plan run ${planRun.id} (checksum ${planRun.checksum.slice(0, 12)} → ${info.checksum.slice(0, 12)}); re-run plan to review the change`,
        );
      }
      await confirmTarget(info.fingerprint, options);
    }
    const connection = await sql<{ id: string }>`SELECT CONNECTION_ID() AS id`.execute(lock.pinned);
    const operator = operatorName();
    const runId = await insertRun(ledger, {
      moduleId: restore.id,
      mode,
      checksum: info.checksum,
      paramsJson: JSON.stringify({ values: redactParams(params), digest }),
      operator,
      clientHost: hostname(),
      targetFingerprint: JSON.stringify(info.fingerprint),
      forced: Boolean(options.force),
      resumedFrom: resumedFrom?.id ?? null,
      planRunId: planRun?.id ?? null,
      undoOf: null,
      connectionId: String(connection.rows[0]?.id ?? ''),
    });
    await lock.setRunId(runId);
    const workspace =
      options.workspaceSchema ??
      (resumedFrom
        ? (resumedFrom.workspace_schema ?? workspaceSchemaName(restore.id))
        : runWorkspaceSchemaName(restore.id, runId));
    await updateRun(ledger, runId, { workspaceSchema: workspace });
    const onEvent = options.onEvent ?? (() => undefined);
    onEvent({ type: 'run-start', runId, moduleId: restore.id, mode });
    const completed = resumedFrom ? await completedSteps(ledger, resumedFrom) : new Map<string, StepRow>();
    const throttle =
      mode === 'apply'
        ? await Throttle.open(target, topology, ledger, runId, options.throttle ?? {}, (pause) =>
            onEvent({ type: 'throttle', ...pause }),
          )
        : null;
    const execution = new RunExecution({
      target,
      ledger,
      runId,
      moduleId: restore.id,
      mode,
      retentionDays: restore.retention.days,
      completed,
      onEvent,
      assertLock: () => lock.assertHeld(),
      throttle,
    });
    for (const w of warnings) execution.warn(w);
    const planned = planRun ? plannedOperations(planRun) : null;
    const beat = setInterval(
      () => void heartbeat(ledger, runId).catch(() => undefined),
      options.heartbeatMs ?? 5_000,
    );
    beat.unref();
    const startedAt = new Date().toISOString();
    let status: RunReport['status'] = 'done';
    let error: RunReport['error'] = null;
    let agreement: readonly PeerAgreement[] | undefined;
    try {
      const r = await createRestoreContext(execution, {
        liveSchema,
        workspaceSchema: workspace,
        planned,
        ...(options.confirmManual ? { confirmManual: options.confirmManual } : {}),
        resumingAwaiting: resumedFrom?.status === 'awaiting',
      });
      await restore.run(r, params);
      if (mode === 'apply') {
        const written = await writesOfRun(ledger, runId);
        const outcome = await agreementOutcome(target, topology, written, options.throttle?.replicas);
        agreement = outcome.peers;
        for (const w of outcome.warnings) execution.warn(w);
        if (outcome.error) throw outcome.error;
      }
    } catch (caught) {
      status = isErrorNamed(caught, 'ManualStepPendingError') ? 'awaiting' : 'failed';
      error = toErrorReport(caught);
    } finally {
      clearInterval(beat);
      await throttle?.close();
    }
    const report: RunReport = {
      reportVersion: RUN_REPORT_VERSION,
      runId,
      moduleId: restore.id,
      title: restore.title,
      mode,
      status,
      checksum: info.checksum,
      operator,
      resumedFrom: resumedFrom?.id ?? null,
      planRunId: planRun?.id ?? null,
      undoOf: null,
      forced: Boolean(options.force),
      target: info.fingerprint,
      workspace,
      params: redactParams(params),
      startedAt,
      finishedAt: new Date().toISOString(),
      steps: execution.steps,
      transactions: execution.transactions,
      driftProfiles: execution.driftProfiles,
      warnings: execution.warnings,
      backups: execution.provenance,
      throttle: throttleReport(throttle),
      ...(agreement ? { agreement: agreementReport(agreement) } : {}),
      error,
    };
    await updateRun(ledger, runId, {
      status,
      finished: true,
      errorJson: error ? JSON.stringify(error) : null,
      reportJson: JSON.stringify(report),
      provenanceJson: Object.keys(execution.provenance).length ? JSON.stringify(execution.provenance) : null,
    });
    onEvent({
      type: 'run-end',
      runId,
      moduleId: restore.id,
      mode,
      status,
      error: error ? { name: error.name, message: error.message } : null,
    });
    return Object.freeze(report);
  });
}

/** The last apply that completed and was not undone since. */
async function findApplied(ledger: Ledger, moduleId: string): Promise<RunRow | undefined> {
  const runs = await listRuns(ledger, { moduleId });
  const undone = new Set(runs.filter((r) => r.mode === 'undo' && r.status === 'done').map((r) => r.undo_of));
  return runs.find(
    (r) => r.mode === 'apply' && r.status === 'done' && !undone.has(r.id) && !undoneChain(runs, r, undone),
  );
}

/** A resumed run's undo may name the run it resumed from; both count as undone. */
function undoneChain(runs: readonly RunRow[], run: RunRow, undone: ReadonlySet<string | null>): boolean {
  for (const later of runs) if (later.resumed_from === run.id && undone.has(later.id)) return true;
  return false;
}

async function findResumable(ledger: Ledger, moduleId: string, digest: string): Promise<RunRow> {
  const [last] = await listRuns(ledger, { moduleId, mode: 'apply', limit: 1 });
  if (!last || !['failed', 'interrupted', 'awaiting'].includes(last.status)) {
    throw new UsageError(`there is no failed, interrupted or awaiting apply of ${moduleId} to resume`, {
      hint: last ? `its last apply (run ${last.id}) is ${last.status}` : 'run apply without --resume',
    });
  }
  // Its completed steps are what resume skips; an undo (even one that stopped part-way) took their
  // writes back, so skipping them would report the restore done on rows that are still damaged.
  const runs = await listRuns(ledger, { moduleId });
  const chain = resumeChain(runs, last);
  const undo = runs.find((r) => r.mode === 'undo' && r.undo_of !== null && chain.includes(r.undo_of));
  if (undo) {
    throw new UsageError(
      `run ${last.id} of ${moduleId} was undone by run ${undo.id} (${undo.status}): its completed steps are no longer in effect, so there is nothing to resume`,
      { hint: 'run apply without --resume to start afresh', facts: { runId: last.id, undoRunId: undo.id } },
    );
  }
  const recorded = (JSON.parse(last.params_json) as { digest?: string }).digest;
  if (recorded !== digest) {
    throw new UsageError(`run ${last.id} of ${moduleId} used other params than these`, {
      hint: 'resume with exactly the params of the run being resumed',
    });
  }
  return last;
}

export async function findPlan(
  ledger: Ledger,
  moduleId: string,
  digest: string,
): Promise<RunRow | undefined> {
  const plans = await listRuns(ledger, { moduleId, mode: 'plan', statuses: ['done'], limit: 20 });
  return plans.find((p) => (JSON.parse(p.params_json) as { digest?: string }).digest === digest);
}

/** Steps that completed in `run` and in the runs it resumed, by name. */
async function completedSteps(ledger: Ledger, run: RunRow): Promise<Map<string, StepRow>> {
  const chain: string[] = [];
  let current: RunRow | undefined = run;
  const all = await listRuns(ledger, { moduleId: run.module_id, mode: 'apply' });
  while (current) {
    chain.push(current.id);
    const from: string | null = current.resumed_from;
    current = from ? all.find((r) => r.id === from) : undefined;
  }
  const done = new Map<string, StepRow>();
  for (const step of await listSteps(ledger, chain)) {
    if ((step.status === 'done' || step.status === 'skipped') && !done.has(step.name))
      done.set(step.name, step);
  }
  return done;
}

function plannedOperations(planRun: RunRow): PlannedOperations {
  const report = planRun.report_json ? (JSON.parse(planRun.report_json) as RunReport) : null;
  const hashes = new Map<string, string>();
  for (const step of report?.steps ?? []) {
    for (const op of step.operations)
      if (op.scopeHash) hashes.set(`${step.name}/${op.kind}/${op.table}`, op.scopeHash);
  }
  return { planRunId: planRun.id, scopeHashes: hashes };
}

async function confirmTarget(fingerprint: TargetReport, options: Partial<ApplyOptions>): Promise<void> {
  if (options.expectHost !== undefined && options.expectHost !== fingerprint.host) {
    throw new UsageError(
      `--expect-host ${options.expectHost} does not match the server's hostname ${fingerprint.host}`,
      {
        hint: 'check that the connection points at the intended server',
      },
    );
  }
  const confirm = options.confirm;
  if (confirm === undefined) {
    throw new UsageError('apply needs a confirmation of the target', {
      hint: 'pass confirm: true (--yes) or a confirm function',
    });
  }
  if (confirm !== true && !(await confirm(fingerprint))) {
    throw new UsageError('apply was not confirmed; nothing was changed');
  }
}

/** Without a checksum from the loader, a digest of the module's own code and definition. */
function codeChecksum(restore: RestoreModule): string {
  return paramsDigest({ id: restore.id, run: restore.run.toString(), title: restore.title });
}
