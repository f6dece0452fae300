import { createHash } from 'node:crypto';
import type { Attributes, Span } from '@opentelemetry/api';
import type { Kysely } from 'kysely';
import type { Target } from '../db/index.ts';
import { isErrorNamed, UsageError } from '../errors/index.ts';
import {
  finishStep,
  insertArtifact,
  type Ledger,
  type StepFinish,
  type StepRow,
  startStep,
} from '../ledger/index.ts';
import type { ArtifactRecorder } from '../primitives/index.ts';
import { eventSpan, inSpan } from '../telemetry/spans.ts';
import { toErrorReport } from './error-report.ts';
import type { DriftProfileReport, OperationReport, StepReport, TransactionReport } from './report.ts';
import type { RunEventListener } from './run-events.ts';
import type { Throttle } from './throttle.ts';

export type Mode = 'plan' | 'apply';

/** What a step body returns: its result for the module, and what the ledger and report keep. */
export interface StepOutcome<T> {
  readonly result: T;
  readonly rows: number | null;
  /** JSON kept in the ledger; `restore` rebuilds `result` from it when a resumed run skips the step. */
  readonly detail: unknown;
  readonly status?: StepReport['status'];
  readonly note?: string | null;
  readonly sqlDigest?: string | null;
  readonly operations?: readonly OperationReport[];
  /** The body already wrote its ledger row inside its own transaction (atomic with the data). */
  readonly recordedInTransaction?: boolean;
}

export interface StepDefinition<T> {
  readonly name: string;
  readonly kind: StepReport['kind'];
  readonly gate: string | null;
  body(seq: number): Promise<StepOutcome<T>>;
  /** Rebuilds the result of a step that completed in the run being resumed. */
  restore(detail: unknown): T;
}

export interface ExecutionSettings {
  readonly target: Target;
  readonly ledger: Ledger;
  readonly runId: string;
  readonly moduleId: string;
  readonly mode: Mode;
  readonly retentionDays: number;
  /** Steps that completed in the run(s) being resumed, by name. */
  readonly completed: ReadonlyMap<string, StepRow>;
  readonly onEvent: RunEventListener;
  /** Throws unless the run still holds its module lock; called right before each commit. */
  readonly assertLock?: () => Promise<void>;
  /** Paces chunked transactions (waits before each chunk while a limit is exceeded). */
  readonly throttle?: Throttle | null;
}

/**
 * The state of one run while the module's `run()` executes: numbering and recording of steps, the
 * report parts collected along the way, and resume skipping.
 */
export class RunExecution implements ArtifactRecorder {
  readonly settings: ExecutionSettings;
  readonly steps: StepReport[] = [];
  readonly transactions: TransactionReport[] = [];
  readonly driftProfiles: DriftProfileReport[] = [];
  readonly warnings: string[] = [];
  /** Where each extract's backup came from (file, dump time, GTID set, binlog position…), by step. */
  readonly provenance: Record<string, unknown> = {};
  #seq = 0;
  readonly #names = new Set<string>();

  constructor(settings: ExecutionSettings) {
    this.settings = settings;
  }

  get mode(): Mode {
    return this.settings.mode;
  }

  /** Records a warning once: the same line again (a change seen by every chunk of a write) adds nothing. */
  warn(message: string): void {
    if (this.warnings.includes(message)) return;
    this.warnings.push(message);
    this.settings.onEvent({ type: 'warning', message });
  }

  async record(stepName: string, artifact: Parameters<ArtifactRecorder['record']>[1]): Promise<void> {
    await insertArtifact(this.settings.ledger, {
      runId: this.settings.runId,
      moduleId: this.settings.moduleId,
      stepName,
      kind: artifact.kind,
      schema: artifact.table.schema,
      table: artifact.table.name,
      rows: artifact.rows,
      checksum: artifact.checksum,
      provenanceJson: artifact.provenance ? JSON.stringify(artifact.provenance) : null,
      retentionDays: this.settings.retentionDays,
    });
  }

  /** Reserves a step name (unique per module) and sequence number. */
  claim(name: string): number {
    if (!name || this.#names.has(name)) {
      throw new UsageError(name ? `step name ${JSON.stringify(name)} is used twice` : 'a step needs a name', {
        hint: 'every r.* step in a restore module needs its own unique name',
      });
    }
    this.#names.add(name);
    this.#seq += 1;
    return this.#seq;
  }

  async run<T>(definition: StepDefinition<T>): Promise<T> {
    const seq = this.claim(definition.name);
    const { ledger, runId, onEvent } = this.settings;
    const step = { seq, name: definition.name, kind: definition.kind, gate: definition.gate } as const;
    const previous = this.settings.completed.get(definition.name);
    if (previous) {
      const detail = previous.detail_json
        ? (JSON.parse(previous.detail_json) as { detail: unknown }).detail
        : null;
      const report: StepReport = {
        ...step,
        status: 'skipped',
        rows: previous.rows_affected === null ? null : Number(previous.rows_affected),
        durationMs: 0,
        sqlDigest: previous.sql_digest,
        note: `completed in run ${previous.run_id}`,
        operations: [],
        error: null,
      };
      await startStep(ledger, { runId, ...step });
      await finishStep(ledger, runId, seq, this.#finish(report, detail));
      this.#push(report);
      eventSpan(definition.kind === 'chunk' ? 'rowback.chunk' : 'rowback.step', {
        ...this.#spanAttributes(definition),
        'rowback.status': 'skipped',
        'rowback.resumed_from': previous.run_id,
      });
      return definition.restore(detail);
    }
    await startStep(ledger, { runId, ...step });
    onEvent({ type: 'step-start', name: definition.name, kind: definition.kind });
    return inSpan(
      definition.kind === 'chunk' ? 'rowback.chunk' : 'rowback.step',
      this.#spanAttributes(definition),
      (span) => this.#runBody(definition, step, span),
      (error) => !isErrorNamed(error, 'ManualStepPendingError'),
    );
  }

  async #runBody<T>(
    definition: StepDefinition<T>,
    step: Pick<StepReport, 'seq' | 'name' | 'kind' | 'gate'>,
    span: Span,
  ): Promise<T> {
    const { ledger, runId } = this.settings;
    const seq = step.seq;
    const started = performance.now();
    try {
      const outcome = await definition.body(seq);
      const report: StepReport = {
        ...step,
        status: outcome.status ?? 'done',
        rows: outcome.rows,
        durationMs: Math.round(performance.now() - started),
        sqlDigest: outcome.sqlDigest ?? null,
        note: outcome.note ?? null,
        operations: [...(outcome.operations ?? [])],
        error: null,
      };
      if (!outcome.recordedInTransaction)
        await finishStep(ledger, runId, seq, this.#finish(report, outcome.detail));
      this.#push(report);
      span.setAttribute('rowback.status', report.status);
      if (report.rows !== null) span.setAttribute('rowback.rows', report.rows);
      return outcome.result;
    } catch (error) {
      const report: StepReport = {
        ...step,
        // A manual step that stops the run is waiting for the operator, not broken.
        status: isErrorNamed(error, 'ManualStepPendingError') ? 'awaiting' : 'failed',
        rows: null,
        durationMs: Math.round(performance.now() - started),
        sqlDigest: null,
        note: null,
        operations: [...((error as { operations?: OperationReport[] }).operations ?? [])],
        error: toErrorReport(error),
      };
      await finishStep(ledger, runId, seq, this.#finish(report, null)).catch(() => undefined);
      this.#push(report);
      span.setAttribute('rowback.status', report.status);
      throw error;
    }
  }

  /** Ledger fields for a finished step; used directly by transactions to write them inside the transaction. */
  finishFields(report: StepReport, detail: unknown): StepFinish {
    return this.#finish(report, detail);
  }

  /** Writes a step's final ledger row on `db` (an open transaction), so it commits with the data. */
  async finishInTransaction(db: Kysely<any>, report: StepReport, detail: unknown): Promise<void> {
    await finishStep(this.settings.ledger, this.settings.runId, report.seq, this.#finish(report, detail), db);
  }

  #spanAttributes(definition: StepDefinition<unknown>): Attributes {
    return {
      'rowback.module': this.settings.moduleId,
      'rowback.run_id': this.settings.runId,
      'rowback.step': definition.name,
      'rowback.step.kind': definition.kind,
    };
  }

  #finish(report: StepReport, detail: unknown): StepFinish {
    return {
      status: report.status,
      rows: report.rows,
      durationMs: report.durationMs,
      sqlDigest: report.sqlDigest,
      detailJson:
        detail === undefined
          ? null
          : JSON.stringify({ detail, operations: report.operations, note: report.note }),
      errorJson: report.error ? JSON.stringify(report.error) : null,
    };
  }

  #push(report: StepReport): void {
    this.steps.push(report);
    this.settings.onEvent({ type: 'step-end', step: report });
  }
}

/** sha256 of the SQL texts a step ran, so the ledger shows whether two runs executed the same SQL. */
export function sqlDigest(statements: readonly string[]): string | null {
  if (statements.length === 0) return null;
  const hash = createHash('sha256');
  for (const s of statements) hash.update(s).update('\0');
  return hash.digest('hex');
}
