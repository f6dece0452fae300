import { type Kysely, type RawBuilder, sql } from 'kysely';
import { quoteQualified, TableRef } from '../db/index.ts';
import { ManualStepPendingError, UsageError } from '../errors/index.ts';
import { listArtifacts, markArtifactsDropped } from '../ledger/index.ts';
import {
  checkGate,
  countSnapshotRows,
  describeExpectation,
  diffTables,
  materializeScope,
  openWorkspace,
  type Scope,
  snapshot,
  type Workspace,
  workspaceTableName,
} from '../primitives/index.ts';
import { changesTableOf, type ExtractedTable, type Source } from '../sources/index.ts';
import { inSpan } from '../telemetry/spans.ts';
import {
  R_EXTRACT,
  R_LIVE,
  R_MANUAL,
  R_SCOPE,
  R_SNAPSHOT,
  R_TRANSACTION,
  R_VERIFY,
} from '../validation/api-contracts.ts';
import { checkCall, checkThen } from '../validation/check-call.ts';
import { type RunExecution, sqlDigest } from './execution.ts';
import { withModuleSql } from './module-sql-error.ts';
import type {
  Backup,
  DiffSpec,
  Query,
  RestoreContext,
  ScopeOptions,
  SnapshotOptions,
  TransactionOptions,
  VerifyOptions,
} from './restore-api.ts';
import { runTransaction } from './transaction-step.ts';

/** Table name recorded for the artifact that stands for the workspace schema as a whole. */
export const WORKSPACE_MARKER = '(schema)';

/** Scope hashes recorded by the plan an apply was confirmed from, keyed `step/kind/table`. */
export interface PlannedOperations {
  readonly planRunId: string;
  readonly scopeHashes: ReadonlyMap<string, string>;
}

export interface RestoreContextSettings {
  readonly liveSchema: string;
  readonly workspaceSchema: string;
  readonly planned: PlannedOperations | null;
  readonly confirmManual?: (name: string, instructions: string) => Promise<boolean>;
  /** The run being resumed stopped at a manual step: resuming is the operator's confirmation. */
  readonly resumingAwaiting: boolean;
}

/** What the ledger keeps of an extract step. */
export interface ExtractDetail {
  readonly tables: readonly (Omit<ExtractedTable, 'table'> & {
    readonly schema: string;
    readonly name: string;
  })[];
  readonly provenance: Record<string, unknown>;
  readonly ddlChanges: readonly string[];
  /** Which kind of source it was; `rehearse` copies the schemas `fromSchema` read. */
  readonly sourceKind?: Source['kind'];
}

/** What the ledger keeps of a scope step; `rehearse` reads it back from a plan. */
export interface ScopeDetail {
  readonly schema: string;
  readonly table: string;
  readonly key: readonly string[];
  readonly rows: number;
  /** The live table whose rows the keys name (`keyFrom`), when the module said. */
  readonly keyFrom?: string;
}

/** What a plan keeps of a snapshot step: the rows an apply would copy, by table. */
export interface SnapshotPlanDetail {
  readonly tables: readonly string[];
  readonly scope: { readonly schema: string; readonly table: string; readonly key: readonly string[] } | null;
  readonly on: Readonly<Record<string, readonly string[] | string>>;
}

/**
 * Drops the tables an earlier run (a plan, a failed or killed apply) extracted for this step, so the
 * extract starts clean. Those are the tables the ledger records as this module's backup tables for
 * this step, and — for an extract killed between a CREATE TABLE and its ledger record — the tables of
 * this step's own prefix (`<step>__…`) in the workspace that no ledger entry claims for anything else.
 * Nothing rowback did not create is ever dropped: the workspace schema is rowback's own.
 */
async function dropPreviousExtract(
  execution: RunExecution,
  workspace: Workspace,
  stepName: string,
): Promise<void> {
  const { ledger, target } = execution.settings;
  const recorded = await listArtifacts(ledger, { schema: workspace.schema });
  const ours = (a: (typeof recorded)[number]) =>
    a.module_id === execution.settings.moduleId && a.step_name === stepName && a.kind === 'backup-table';
  const claimedElsewhere = new Set(recorded.filter((a) => !ours(a)).map((a) => a.table_name));
  const prefix = `${identifierPart(stepName)}__`;
  const present = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${workspace.schema}`.execute(
    target.db,
  );
  const names = new Set(recorded.filter(ours).map((a) => a.table_name));
  for (const { name } of present.rows)
    if (name.startsWith(prefix) && !claimedElsewhere.has(name)) names.add(name);
  for (const name of names) {
    await sql.raw(`DROP TABLE IF EXISTS ${quoteQualified(workspace.schema, name)}`).execute(target.db);
    await markArtifactsDropped(ledger, workspace.schema, name);
  }
}

/** A step name as it may appear inside a generated table name. */
export function identifierPart(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Builds the `r` a module's `run(r, params)` receives, bound to one run. */
export async function createRestoreContext(
  execution: RunExecution,
  settings: RestoreContextSettings,
): Promise<RestoreContext> {
  const { target } = execution.settings;
  const workspace: Workspace = await openWorkspace(target, { schema: settings.workspaceSchema });
  // The workspace schema itself is an artifact: gc drops it once everything in it has expired.
  await execution.record('workspace', {
    kind: 'workspace',
    table: new TableRef(workspace.schema, WORKSPACE_MARKER),
    rows: null,
    checksum: null,
  });
  const live = (table: string) => new TableRef(settings.liveSchema, table);
  const db: Kysely<any> = target.db;

  const r: RestoreContext = {
    liveSchema: settings.liveSchema,
    live: (table) => {
      checkCall(R_LIVE, { table });
      return live(table);
    },

    extract: (name, source) =>
      checkThen(R_EXTRACT, { name, source }, () =>
        execution.run<Backup>({
          name,
          kind: 'extract',
          gate: null,
          body: async () => {
            await dropPreviousExtract(execution, workspace, name);
            const result = await inSpan(
              'rowback.source.read',
              { 'rowback.source.kind': source.kind, 'rowback.source': source.description },
              async (span) => {
                let bytes = 0;
                const read = await source.extract({
                  target: workspace.target,
                  workspace: workspace.schema,
                  tableName: (sourceTable) => workspaceTableName(identifierPart(name), sourceTable),
                  onProgress: (progress) => {
                    bytes = progress.bytesRead;
                    execution.settings.onEvent({ type: 'step-progress', name, progress });
                  },
                });
                if (Array.isArray(read?.tables)) {
                  span.setAttributes({
                    'rowback.tables': read.tables.length,
                    'rowback.rows': read.tables.reduce((sum, t) => sum + t.rows, 0),
                    'rowback.bytes': bytes,
                  });
                }
                return read;
              },
            );
            // A hand-written Source may return anything: say so instead of failing on its result.
            if (!result || !Array.isArray(result.tables) || !Array.isArray(result.ddlChanges)) {
              throw new UsageError(`r.extract: source ${source.description} returned no extract result`, {
                hint: 'a Source.extract must resolve to { tables, provenance, ddlChanges }; use fromMysqldump, fromMysqlShellDump, fromSchema or fromServer',
                facts: { option: 'source' },
              });
            }
            for (const t of result.tables) {
              await execution.record(name, {
                kind: 'backup-table',
                table: t.table,
                rows: t.rows,
                checksum: t.checksum,
                provenance: { ...result.provenance, source: source.description, sourceTable: t.sourceTable },
              });
            }
            for (const change of result.ddlChanges) execution.warn(`${name}: ${change}`);
            const detail: ExtractDetail = {
              tables: result.tables.map((t) => ({
                sourceSchema: t.sourceSchema,
                sourceTable: t.sourceTable,
                rows: t.rows,
                checksum: t.checksum,
                schema: t.table.schema,
                name: t.table.name,
              })),
              provenance: { ...result.provenance, source: source.description },
              ddlChanges: result.ddlChanges,
              sourceKind: source.kind,
            };
            execution.provenance[name] = detail.provenance;
            return {
              result: backupFromDetail(name, detail),
              rows: result.tables.reduce((sum, t) => sum + t.rows, 0),
              detail,
              note: `${result.tables.length} table(s) from ${source.description}`,
            };
          },
          restore: (detail) => {
            execution.provenance[name] = (detail as ExtractDetail).provenance;
            return backupFromDetail(name, detail as ExtractDetail);
          },
        }),
      ),

    scope: (name, query, options: ScopeOptions) =>
      checkThen(R_SCOPE, { name, query, options }, () =>
        execution.run<Scope>({
          name,
          kind: 'scope',
          gate: options.expect ? describeExpectation(options.expect) : null,
          body: async () => {
            const scope = await withModuleSql('r.scope', "argument 'query'", () =>
              materializeScope(workspace, name, query, {
                key: options.key,
                ...(options.expect ? { expect: options.expect } : {}),
                ...(options.keyFrom ? { keyFrom: live(options.keyFrom) } : {}),
                hint: 'the scope query matched an unexpected number of rows; check the params and the query',
              }),
            );
            await execution.record(name, {
              kind: 'scope',
              table: scope.table,
              rows: scope.rows,
              checksum: null,
            });
            const detail: ScopeDetail = {
              schema: scope.table.schema,
              table: scope.table.name,
              key: scope.key,
              rows: scope.rows,
              ...(options.keyFrom ? { keyFrom: options.keyFrom } : {}),
            };
            return { result: scope, rows: scope.rows, detail, sqlDigest: sqlDigest([compiled(query, db)]) };
          },
          restore: (detail) => {
            const d = detail as ScopeDetail;
            return Object.freeze({ name, table: new TableRef(d.schema, d.table), key: d.key, rows: d.rows });
          },
        }),
      ),

    snapshot: (name, tables, options: SnapshotOptions = {}) =>
      checkThen(R_SNAPSHOT, { name, tables, options }, () =>
        execution.run<void>({
          name,
          kind: 'snapshot',
          gate: null,
          body: async () => {
            const liveTables = tables.map(live);
            const filter = {
              ...(options.scope ? { scope: options.scope } : {}),
              ...(options.on ? { on: options.on } : {}),
            };
            if (execution.mode === 'plan') {
              const counts = await countSnapshotRows(db, liveTables, filter);
              const rows = counts.reduce((sum, c) => sum + c.rows, 0);
              const scope = options.scope;
              const detail: SnapshotPlanDetail = {
                tables,
                scope: scope ? { schema: scope.table.schema, table: scope.table.name, key: scope.key } : null,
                on: options.on ?? {},
              };
              return {
                result: undefined,
                rows,
                detail,
                status: 'pending',
                note: `would copy ${rows} row(s) of ${tables.join(', ')}`,
              };
            }
            const copies = await snapshot(workspace, name, liveTables, {
              ...filter,
              prefix: `snap${execution.settings.runId}_${identifierPart(name)}`,
            });
            for (const copy of copies) await execution.record(name, copy);
            const rows = copies.reduce((sum, c) => sum + (c.rows ?? 0), 0);
            return {
              result: undefined,
              rows,
              detail: copies.map((c) => ({ table: c.table.toString(), rows: c.rows, checksum: c.checksum })),
            };
          },
          restore: () => undefined,
        }),
      ),

    transaction: (name, fn, options: TransactionOptions = {}) =>
      checkThen(R_TRANSACTION, { name, fn, options }, () =>
        runTransaction(execution, {
          name,
          fn,
          options,
          workspace,
          liveSchema: settings.liveSchema,
          planned: settings.planned,
        }),
      ),

    manual: (name, instructions) =>
      checkThen(R_MANUAL, { name, instructions }, () =>
        execution.run<void>({
          name,
          kind: 'manual',
          gate: null,
          body: async () => {
            if (execution.mode === 'plan') {
              return {
                result: undefined,
                rows: null,
                detail: null,
                status: 'pending',
                note: instructions,
              };
            }
            if (settings.resumingAwaiting) {
              return {
                result: undefined,
                rows: null,
                detail: { confirmedBy: 'resume' },
                note: 'confirmed by resuming the run',
              };
            }
            if (settings.confirmManual && (await settings.confirmManual(name, instructions))) {
              return {
                result: undefined,
                rows: null,
                detail: { confirmedBy: 'operator' },
                note: 'confirmed by the operator',
              };
            }
            throw new ManualStepPendingError(`manual step '${name}' awaits the operator: ${instructions}`, {
              hint: 'do it, then continue with `rowback apply <module> --resume`',
              facts: { step: name, instructions },
            });
          },
          restore: () => undefined,
        }),
      ),

    verify: (name, check, options: VerifyOptions) =>
      checkThen(R_VERIFY, { name, check, options }, () =>
        execution.run<number>({
          name,
          kind: 'verify',
          gate: describeExpectation(options.expect),
          body: async () => {
            const found = await withModuleSql('r.verify', "argument 'check'", () => countCheck(db, check));
            if (execution.mode === 'plan') {
              return {
                result: found,
                rows: found,
                detail: { found },
                status: 'pending',
                note: `checked after apply; the live data now gives ${found}`,
              };
            }
            checkGate(name, options.expect, found);
            return { result: found, rows: found, detail: { found } };
          },
          restore: (detail) => (detail as { found: number }).found,
        }),
      ),
  };
  return Object.freeze(r);
}

/**
 * Runs a verification and returns the number its gate checks: for a query, how many rows it returns
 * (counted on the server); for a diff, how many rows differ (changed, only live, only backup).
 */
export async function countCheck(db: Kysely<any>, check: Query | DiffSpec): Promise<number> {
  if ((check as DiffSpec).kind === 'diff') {
    const spec = check as DiffSpec;
    const diff = await diffTables(db, spec.liveTable, spec.backup, {
      ...(spec.scope ? { scope: spec.scope } : {}),
      ...(spec.on ? { scopeOn: spec.on } : {}),
      ...(spec.columns ? { columns: spec.columns } : {}),
      ...(spec.key ? { key: spec.key } : {}),
      sampleSize: 0,
    });
    return diff.changed + diff.onlyLeft + diff.onlyRight;
  }
  const result = await sql<{
    n: string | number;
  }>`SELECT COUNT(*) AS n FROM (${check as RawBuilder<unknown>}) AS rb_verified`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

function compiled(query: Query, db: Kysely<any>): string {
  return query.compile(db).sql;
}

function backupFromDetail(name: string, detail: ExtractDetail): Backup {
  const tables = new Map(detail.tables.map((t) => [t.sourceTable, new TableRef(t.schema, t.name)]));
  // Also by `schema.table`, the way the source's `tables` may have named them.
  const qualified = new Map(
    detail.tables.map((t) => [`${t.sourceSchema}.${t.sourceTable}`, new TableRef(t.schema, t.name)]),
  );
  const table = (sourceTable: string): TableRef => {
    const found = tables.get(sourceTable) ?? qualified.get(sourceTable);
    if (!found) {
      throw new UsageError(`extract '${name}' has no table ${JSON.stringify(sourceTable)}`, {
        hint: `it extracted: ${[...tables.keys()].join(', ') || 'nothing'}`,
      });
    }
    return found;
  };
  return Object.freeze({
    name,
    table,
    changes: (sourceTable: string) => table(changesTableOf(sourceTable)),
    result: Object.freeze({
      tables: detail.tables.map((t) => ({ ...t, table: new TableRef(t.schema, t.name) })),
      provenance: detail.provenance,
      ddlChanges: detail.ddlChanges,
    }),
  });
}
