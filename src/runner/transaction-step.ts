import { SizeLimitError } from '../errors/index.ts';
import { type Scope, splitScope, type Workspace, type WriteContext } from '../primitives/index.ts';
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
  if (!chunk) {
    await execution.run<void>({
      name: args.name,
      kind: 'transaction',
      gate: null,
      body: async (seq) => {
        const outcome = await runOnce(execution, args, seq, null);
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
          const outcome = await runOnce(execution, args, seq, {
            whole: chunk.scope,
            part: sub,
            index: i + 1,
            of: chunks.length,
          });
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
      limitBytes: sizeLimit(execution, args.options),
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
    oversized: false,
  };
  const limit = sizeLimit(execution, args.options);
  const tx = createTransactionContext(execution, ctx, state, {
    stepName: args.name,
    planned: chunk ? null : args.planned,
    resolveScope: (scope) => (chunk && scope === chunk.whole ? chunk.part : scope),
    sizeLimited: limit !== null && !chunk,
    checkSize: () => {
      if (limit === null || chunk || state.estimatedBytes <= limit) return;
      if (execution.mode === 'plan') {
        if (!state.oversized)
          execution.warn(
            `transaction '${args.name}' is estimated above the size limit of ${limit} bytes; apply will refuse it unless it is chunked`,
          );
        state.oversized = true;
      } else {
        throw new SizeLimitError(
          `transaction '${args.name}' would write about ${state.estimatedBytes} bytes, over the limit of ${limit}`,
          {
            hint: 'split it: r.transaction(name, fn, { chunk: { scope, size } }) commits per key chunk (resumable, not atomic), or raise maxBytes',
            facts: { estimatedBytes: state.estimatedBytes, limitBytes: limit },
          },
        );
      }
    },
  });
  try {
    await args.fn(tx);
    const rows = state.operations.filter((o) => o.kind !== 'verify').reduce((sum, o) => sum + o.rows, 0);
    // stepName is the transaction's name, or `name#i` for one chunk of a chunked transaction.
    execution.transactions.push({
      name: stepName,
      estimatedBytes: state.estimatedBytes,
      limitBytes: limit,
      atomic: true,
      chunks: null,
      chunksCommitted: null,
    });
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

/** The byte cap for one transaction: the module's `maxBytes`, and Group Replication's limit when active. */
function sizeLimit(execution: RunExecution, options: TransactionOptions): number | null {
  const gr = execution.settings.target.server.groupReplication;
  const limits = [
    options.maxBytes,
    gr.active && gr.transactionSizeLimit ? gr.transactionSizeLimit : undefined,
  ].filter((n): n is number => typeof n === 'number' && n > 0);
  return limits.length ? Math.min(...limits) : null;
}
