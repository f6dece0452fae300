import { writeLimits } from '../db/index.ts';
import { SizeLimitError } from '../errors/index.ts';
import { type Scope, splitScope, type Workspace, type WriteContext } from '../primitives/index.ts';
import { withCertificationRetry } from './certification-retry.ts';
import { type RunExecution, sqlDigest } from './execution.ts';
import type { OperationReport, StepReport } from './report.ts';
import type { TransactionContext, TransactionOptions } from './restore-api.ts';
import type { PlannedOperations } from './restore-context.ts';
import { identifierPart } from './restore-context.ts';
import { createTransactionContext, type TransactionState } from './transaction-context.ts';

export interface TransactionStepArgs {
  readonly name: string;
  readonly fn: (tx: TransactionContext) => Promise<void>;
  readonly options: TransactionOptions;
  readonly workspace: Workspace;
  readonly liveSchema: string;
  readonly planned: PlannedOperations | null;
}

/**
 * One `r.transaction` step: every write in `fn` runs on one pinned connection in one transaction.
 * In a plan it is rolled back after its verifications ran; in an apply the step's ledger row is
 * written inside the same transaction, so "done" in the ledger and the data commit together.
 * With `chunk`, each chunk of the scope is its own transaction and its own ledger step (resumable).
 */
export async function runTransaction(execution: RunExecution, args: TransactionStepArgs): Promise<void> {
  const chunk = args.options.chunk;
  const warn = (message: string) => execution.warn(message);
  if (!chunk) {
    await execution.run<void>({
      name: args.name,
      kind: 'transaction',
      gate: null,
      body: async (seq) => {
        const outcome = await withCertificationRetry(args.name, warn, () =>
          runOnce(execution, args, seq, null),
        );
        return { result: undefined, ...outcome };
      },
      restore: () => undefined,
    });
    return;
  }
  const { target } = execution.settings;
  const chunks = await splitScope(args.workspace, target.db, chunk.scope, chunk.size);
  let committed = 0;
  let estimated = 0;
  try {
    for (const [i, sub] of chunks.entries()) {
      await execution.run<void>({
        name: `${args.name}#${i + 1}`,
        kind: 'chunk',
        gate: null,
        body: async (seq) => {
          // Waits while replicas lag or the cluster is loaded; a timeout fails this chunk before it
          // starts, so --resume continues exactly here.
          await execution.settings.throttle?.beforeChunk(`${args.name}#${i + 1}`);
          const outcome = await withCertificationRetry(`${args.name}#${i + 1}`, warn, () =>
            runOnce(execution, args, seq, { whole: chunk.scope, part: sub, index: i + 1, of: chunks.length }),
          );
          return { result: undefined, ...outcome };
        },
        restore: () => undefined,
      });
      committed += 1;
    }
  } finally {
    estimated = execution.transactions
      .filter((t) => t.name.startsWith(`${args.name}#`))
      .reduce((sum, t) => sum + t.estimatedBytes, 0);
    execution.transactions.push({
      name: args.name,
      estimatedBytes: estimated,
      limitBytes: limitsOf(execution, args.options).maxBytes,
      atomic: false,
      chunks: chunks.length,
      chunksCommitted: committed,
    });
  }
}

interface ChunkInfo {
  readonly whole: Scope;
  readonly part: Scope;
  readonly index: number;
  readonly of: number;
}

interface OnceOutcome {
  readonly rows: number;
  readonly detail: unknown;
  readonly note: string;
  readonly sqlDigest: string | null;
  readonly operations: readonly OperationReport[];
  readonly recordedInTransaction: boolean;
}

async function runOnce(
  execution: RunExecution,
  args: TransactionStepArgs,
  seq: number,
  chunk: ChunkInfo | null,
): Promise<OnceOutcome> {
  const { target, runId } = execution.settings;
  const stepName = chunk ? `${args.name}#${chunk.index}` : args.name;
  const started = performance.now();
  // READ COMMITTED: under REPEATABLE READ the transaction's first read fixes a snapshot, and reading a
  // before-image table that the DDL connection creates after it fails with "insufficient history".
  // Every row the writes touch is locked anyway, so the weaker isolation loses nothing here.
  const trx = await target.db.startTransaction().setIsolationLevel('read committed').execute();
  const ctx: WriteContext = {
    tx: trx,
    ddl: target.db,
    server: target.server,
    liveSchema: args.liveSchema,
    workspace: args.workspace,
    recorder: execution,
    stepName: `r${runId}_${identifierPart(stepName)}`,
    mode: execution.mode,
  };
  const state: TransactionState = {
    operations: [],
    undo: [],
    statements: [],
    estimatedBytes: 0,
    estimatedRows: 0,
    oversized: false,
  };
  const limits = limitsOf(execution, args.options);
  const limit = limits.maxBytes;
  const tx = createTransactionContext(execution, ctx, state, {
    stepName: args.name,
    hashStep: stepName,
    planned: args.planned,
    resolveScope: (scope) => (chunk && scope === chunk.whole ? chunk.part : scope),
    sizeLimited: limit !== null || limits.maxRows !== null,
    checkSize: () => {
      const overBytes = limit !== null && state.estimatedBytes > limit;
      const overRows = limits.maxRows !== null && state.estimatedRows > limits.maxRows;
      if (!overBytes && !overRows) return;
      const what = overBytes
        ? `above the size limit of ${limit} bytes (about ${state.estimatedBytes}; ${limits.source})`
        : `above the row limit of ${limits.maxRows} rows (about ${state.estimatedRows}; ${limits.source})`;
      const fix = chunk
        ? `make the chunks smaller: { chunk: { scope, size: ${Math.max(1, Math.floor(chunk.part.rows / 2))} } }`
        : 'split it: r.transaction(name, fn, { chunk: { scope, size } }) commits per key chunk (resumable, not atomic), or raise maxBytes';
      if (execution.mode === 'plan') {
        if (!state.oversized)
          execution.warn(`transaction '${stepName}' is estimated ${what}; apply will refuse it: ${fix}`);
        state.oversized = true;
      } else {
        throw new SizeLimitError(`transaction '${stepName}' would write ${what}`, {
          hint: `nothing of it was committed; ${fix}`,
          facts: {
            estimatedBytes: state.estimatedBytes,
            estimatedRows: state.estimatedRows,
            limitBytes: limit,
            limitRows: limits.maxRows,
          },
        });
      }
    },
  });
  try {
    await args.fn(tx);
    const rows = state.operations.filter((o) => o.kind !== 'verify').reduce((sum, o) => sum + o.rows, 0);
    // stepName is the transaction's name, or `name#i` for one chunk of a chunked transaction.
    const entry = {
      name: stepName,
      estimatedBytes: state.estimatedBytes,
      limitBytes: limit,
      atomic: true,
      chunks: null,
      chunksCommitted: null,
    };
    // A retried attempt replaces the entry of the one Galera rolled back.
    const earlier = execution.transactions.findIndex((t) => t.name === stepName);
    if (earlier >= 0) execution.transactions.splice(earlier, 1, entry);
    else execution.transactions.push(entry);
    const digest = sqlDigest(state.statements);
    const detail = { undo: state.undo };
    if (execution.mode === 'plan') {
      await trx.rollback().execute();
      return {
        rows,
        detail: { undo: [] },
        note: 'ran and rolled back (plan)',
        sqlDigest: digest,
        operations: state.operations,
        recordedInTransaction: false,
      };
    }
    const note = chunk ? `chunk ${chunk.index} of ${chunk.of} committed` : 'committed';
    const report: StepReport = {
      seq,
      name: stepName,
      kind: chunk ? 'chunk' : 'transaction',
      status: 'done',
      rows,
      gate: null,
      durationMs: Math.round(performance.now() - started),
      sqlDigest: digest,
      note,
      operations: state.operations,
      error: null,
    };
    // A run that lost its module lock may have a concurrent twin by now: it must not commit.
    await execution.settings.assertLock?.();
    await execution.finishInTransaction(trx, report, detail);
    await trx.commit().execute();
    return {
      rows,
      detail,
      note,
      sqlDigest: digest,
      operations: state.operations,
      recordedInTransaction: true,
    };
  } catch (error) {
    // A dead connection cannot roll back, but the server rolls back a transaction whose session ends.
    await trx
      .rollback()
      .execute()
      .catch(() => undefined);
    if (error && typeof error === 'object') (error as { operations?: unknown }).operations = state.operations;
    throw error;
  }
}

/** One transaction's caps: the module's `maxBytes`, and the cluster's writeset limits. */
function limitsOf(execution: RunExecution, options: TransactionOptions) {
  return writeLimits(execution.settings.target.topology, options.maxBytes);
}
