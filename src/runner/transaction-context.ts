import type { Kysely, RawBuilder } from 'kysely';
import { TableRef } from '../db/index.ts';
import { DriftSincePlanError } from '../errors/index.ts';
import {
  checkGate,
  checkWriteIdentifiers,
  columnDriftProfile,
  describeExpectation,
  estimateWriteBytes,
  hashRows,
  purge,
  purgeSpec,
  replaceChildren,
  replaceChildrenSpec,
  replaceRows,
  replaceRowsSpec,
  requireColumn,
  type Scope,
  type UndoRecord,
  upsertColumns,
  upsertColumnsSpec,
  type WriteContext,
  type WriteIdentifiers,
  type WriteResult,
} from '../primitives/index.ts';
import {
  purgeContract,
  replaceChildrenContract,
  replaceRowsContract,
  TX_DIFF,
  TX_VERIFY,
  upsertColumnsContract,
} from '../validation/api-contracts.ts';
import { checkCall, checkThen } from '../validation/check-call.ts';
import type { RunExecution } from './execution.ts';
import { withModuleSql } from './module-sql-error.ts';
import type { DriftProfileReport, OperationReport } from './report.ts';
import type { DiffSpec, Query, TransactionContext } from './restore-api.ts';
import { countCheck, type PlannedOperations } from './restore-context.ts';

/** What the writes of one transaction collect for its step report and ledger row. */
export interface TransactionState {
  readonly operations: OperationReport[];
  readonly undo: UndoRecord[];
  /** Descriptions of what ran, digested into the step's `sql_digest`. */
  readonly statements: string[];
  estimatedBytes: number;
  estimatedRows: number;
  oversized: boolean;
}

export interface TransactionSettings {
  readonly stepName: string;
  /** The step whose scope hashes a plan recorded for these writes (`name#i` for a chunk). */
  readonly hashStep: string;
  readonly planned: PlannedOperations | null;
  /** In chunked mode, maps the chunked scope to the current chunk's sub-scope. */
  readonly resolveScope: (scope: Scope) => Scope;
  readonly checkSize: () => void;
  /** Whether a size limit applies to this transaction (then apply estimates each write's size too). */
  readonly sizeLimited: boolean;
}

type WriteKind = 'purge' | 'replaceRows' | 'upsertColumns' | 'replaceChildren';

interface WritePlan {
  readonly kind: WriteKind;
  readonly table: string;
  readonly scope: Scope | undefined;
  /** Columns of the live table matched to the scope key. */
  readonly on: readonly string[] | undefined;
  readonly from: TableRef | undefined;
  readonly allowList: readonly string[] | null;
  /** A `where` condition of the write, if any. */
  readonly where?: RawBuilder<unknown> | undefined;
  readonly gate: string | null;
  /** The names the write uses, checked before anything of it runs. */
  readonly spec: WriteIdentifiers;
  perform(): Promise<WriteResult>;
}

const DRIFT_SAMPLES = 5;

const TX_PURGE = purgeContract('tx.purge');
const TX_REPLACE_ROWS = replaceRowsContract('tx.replaceRows');
const TX_UPSERT_COLUMNS = upsertColumnsContract('tx.upsertColumns');
const TX_REPLACE_CHILDREN = replaceChildrenContract('tx.replaceChildren');

/** The `tx` a module's transaction body receives. */
export function createTransactionContext(
  execution: RunExecution,
  ctx: WriteContext,
  state: TransactionState,
  settings: TransactionSettings,
): TransactionContext {
  const live = (table: string) => new TableRef(ctx.liveSchema, table);
  const onOf = (on: string | readonly string[] | undefined) => (on === undefined ? undefined : [on].flat());

  /**
   * Before each write: the hash of the scoped live rows (compared with the plan's in an apply), the
   * column drift profile (in a plan) and the size estimate. The write itself checks schema drift and
   * its gate before any live row changes, and copies before-images first.
   */
  async function write(plan: WritePlan): Promise<number> {
    // Every name the write uses, before the first statement that reads rows (hash, profile, size).
    const checked = await checkWriteIdentifiers(ctx.tx, plan.spec);
    // A blanket write's allow-list only shapes the plan's profile, but a misspelt name there is still wrong.
    if (plan.kind === 'replaceRows' || plan.kind === 'replaceChildren')
      for (const c of plan.allowList ?? []) requireColumn(checked.live, c);
    const liveTable = live(plan.table);
    const { scope, on } = plan;
    // Each of these reads costs a pass over the scoped rows: a plan takes them all (it records the hash
    // and reports the size); an apply only what it checks — the hash when a plan recorded one, the size
    // when a limit applies.
    const plannedHash = settings.planned?.scopeHashes.get(`${settings.hashStep}/${plan.kind}/${plan.table}`);
    const scopeHash =
      scope && (execution.mode === 'plan' || plannedHash)
        ? await hashRows(ctx.tx, liveTable, { table: scope.table, columns: scope.key, ...(on ? { on } : {}) })
        : null;
    if (execution.mode === 'apply' && scopeHash && plannedHash && plannedHash !== scopeHash) {
      throw new DriftSincePlanError(
        `the scoped live rows of ${plan.table} changed since plan run ${settings.planned!.planRunId}`,
        {
          hint: 'run plan again, review it, then apply',
          facts: { table: plan.table, plannedHash, currentHash: scopeHash },
        },
      );
    }
    if (execution.mode === 'plan' && plan.from && scope) {
      execution.driftProfiles.push(
        await driftProfile(ctx.tx, settings.stepName, liveTable, plan.from, scope, on, plan.allowList),
      );
    }
    const estimate =
      scope && (execution.mode === 'plan' || settings.sizeLimited)
        ? await estimateWriteBytes(ctx.tx, liveTable, {
            scope,
            ...(plan.from ? { from: plan.from } : {}),
            ...(on ? { on } : {}),
          })
        : null;
    const estimatedBytes = estimate?.estimatedBytes ?? null;
    state.estimatedBytes += estimatedBytes ?? 0;
    state.estimatedRows += estimate?.estimatedRows ?? 0;
    settings.checkSize();
    const result = await plan.perform();
    state.operations.push({
      kind: plan.kind,
      table: plan.table,
      name: null,
      deleted: result.deleted,
      inserted: result.inserted,
      updated: result.updated,
      rows: result.rows,
      gate: plan.gate,
      estimatedBytes,
      scopeHash,
      warnings: [...result.warnings],
    });
    state.statements.push(
      JSON.stringify([
        plan.kind,
        plan.table,
        scope?.table.toString(),
        on,
        plan.from?.toString(),
        plan.allowList,
        ...(plan.where ? [conditionText(ctx.tx, plan.where)] : []),
      ]),
    );
    // Cascaded child rows (an acknowledged ON DELETE CASCADE) have their own before-images: undo
    // replays the records newest first, so they come back after the parent rows.
    state.undo.push(result.undo, ...result.cascadeUndo);
    for (const warning of result.warnings)
      execution.warn(`${settings.stepName}: ${plan.kind} ${plan.table}: ${warning}`);
    return result.rows;
  }

  const gateOf = (expect: Parameters<typeof describeExpectation>[0] | undefined) =>
    expect ? describeExpectation(expect) : null;

  const tx: TransactionContext = {
    purge: (table, options) =>
      checkThen(TX_PURGE, { table, options }, () => {
        const gate = gateOf(options.expect);
        if (options.scope) {
          const resolved = { ...options, scope: settings.resolveScope(options.scope) };
          return write({
            kind: 'purge',
            table,
            scope: resolved.scope,
            on: onOf(options.on),
            from: undefined,
            allowList: null,
            gate,
            spec: purgeSpec(ctx, table, resolved),
            perform: () => purge(ctx, table, resolved),
          });
        }
        // The where condition is the module's own SQL: a server error about it names option 'where'.
        return withModuleSql('tx.purge', "option 'where'", () =>
          write({
            kind: 'purge',
            table,
            scope: undefined,
            on: undefined,
            from: undefined,
            allowList: null,
            where: options.where,
            gate,
            spec: purgeSpec(ctx, table, options),
            perform: () => purge(ctx, table, options),
          }),
        );
      }),
    replaceRows: (table, options) =>
      checkThen(TX_REPLACE_ROWS, { table, options }, () => {
        const { allowList, ...rest } = options;
        const resolved = { ...rest, scope: settings.resolveScope(rest.scope) };
        return write({
          kind: 'replaceRows',
          table,
          scope: resolved.scope,
          on: onOf(rest.on),
          from: rest.from,
          allowList: allowList ?? null,
          gate: gateOf(rest.expect),
          spec: replaceRowsSpec(ctx, table, resolved),
          perform: () => replaceRows(ctx, table, resolved),
        });
      }),
    upsertColumns: (table, options) =>
      checkThen(TX_UPSERT_COLUMNS, { table, options }, () => {
        const resolved = { ...options, scope: settings.resolveScope(options.scope) };
        const go = () =>
          write({
            kind: 'upsertColumns',
            table,
            scope: resolved.scope,
            on: onOf(options.on),
            from: options.from,
            allowList: options.columns,
            where: options.where,
            gate: gateOf(options.expect),
            spec: upsertColumnsSpec(ctx, table, resolved),
            perform: () => upsertColumns(ctx, table, resolved),
          });
        return options.where ? withModuleSql('tx.upsertColumns', "option 'where'", go) : go();
      }),
    replaceChildren: (table, options) =>
      checkThen(TX_REPLACE_CHILDREN, { table, options }, () => {
        const { allowList, ...rest } = options;
        const resolved = { ...rest, scope: settings.resolveScope(rest.scope) };
        return write({
          kind: 'replaceChildren',
          table,
          scope: resolved.scope,
          on: onOf(rest.parentKey),
          from: rest.from,
          allowList: allowList ?? null,
          gate: gateOf(rest.expect),
          spec: replaceChildrenSpec(ctx, table, resolved),
          perform: () => replaceChildren(ctx, table, resolved),
        });
      }),
    verify: (name: string, check: Query | DiffSpec, options) =>
      checkThen(TX_VERIFY, { name, check, options }, async () => {
        const spec = (check as DiffSpec).kind === 'diff' ? (check as DiffSpec) : null;
        const resolved = spec?.scope ? { ...spec, scope: settings.resolveScope(spec.scope) } : check;
        const found = await withModuleSql('tx.verify', "argument 'check'", () =>
          countCheck(ctx.tx as Kysely<any>, resolved),
        );
        state.operations.push({
          kind: 'verify',
          table: spec ? spec.live : '',
          name,
          deleted: 0,
          inserted: 0,
          updated: 0,
          rows: found,
          gate: describeExpectation(options.expect),
          estimatedBytes: null,
          scopeHash: null,
          warnings: [],
        });
        checkGate(`${settings.stepName}: ${name}`, options.expect, found);
        return found;
      }),
    diff: (table, backup, options = {}) => {
      checkCall(TX_DIFF, { table, backup, options });
      return {
        kind: 'diff' as const,
        live: table,
        liveTable: live(table),
        backup,
        ...(options.scope ? { scope: options.scope } : {}),
        ...(options.on ? { on: [options.on].flat() } : {}),
        ...(options.columns ? { columns: options.columns } : {}),
        ...(options.key ? { key: [options.key].flat() } : {}),
      };
    },
  };
  return Object.freeze(tx);
}

/** A write's condition as SQL with its parameters, for the step's digest. */
function conditionText(db: Kysely<any>, where: RawBuilder<unknown>): string {
  const compiled = where.compile(db);
  return JSON.stringify([compiled.sql, compiled.parameters], (_, v) =>
    typeof v === 'bigint' ? String(v) : v,
  );
}

/** The plan's column drift profile of one write: which columns differ, and which lie outside the allow-list. */
async function driftProfile(
  db: Kysely<any>,
  step: string,
  liveTable: TableRef,
  backup: TableRef,
  scope: Scope,
  on: readonly string[] | undefined,
  allowList: readonly string[] | null,
): Promise<DriftProfileReport> {
  const profile = await columnDriftProfile(db, liveTable, backup, {
    scope,
    ...(on ? { scopeOn: on } : {}),
    ...(allowList ? { allowList } : {}),
    sampleSize: DRIFT_SAMPLES,
  });
  const { sample } = profile.diff;
  return {
    step,
    table: liveTable.name,
    scopedRows: scope.rows,
    differingRows: profile.changedRows + profile.onlyLive + profile.onlyBackup,
    allowList: allowList ? [...allowList] : null,
    columns: profile.columns.map((c) => ({
      column: c.column,
      differing: c.differing,
      outsideAllowList: allowList !== null && !c.inAllowList && c.differing > 0,
    })),
    samples: [
      ...sample.changed.map((row) => ({
        key: row.key,
        status: 'changed' as const,
        fields: row.fields.map((f) => ({
          column: f.column,
          live: f.left,
          backup: f.right,
          textDiff: f.textDiff ?? null,
        })),
      })),
      ...sample.onlyLeft.map((key) => ({ key, status: 'only-live' as const, fields: [] })),
      ...sample.onlyRight.map((key) => ({ key, status: 'only-backup' as const, fields: [] })),
    ],
  };
}
