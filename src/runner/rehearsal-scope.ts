import { sql } from 'kysely';
import { quoteId, TableRef, type Target } from '../db/index.ts';
import { RehearsalScopeError } from '../errors/index.ts';
import { type Ledger, listSteps, type RunRow } from '../ledger/index.ts';
import { type ForeignKey, readForeignKeys } from '../primitives/index.ts';
import type { RunReport } from './report.ts';
import type { ExtractDetail, ScopeDetail, SnapshotPlanDetail } from './restore-context.ts';

/** One reason to copy rows of a live table: a SQL condition on it, run on the target (null: every row). */
export interface CopyRule {
  readonly reason: string;
  readonly where: string | null;
}

/** Per live table, why and which of its rows the rehearsal copies. */
export type CopyRules = ReadonlyMap<string, readonly CopyRule[]>;

/** What the plan says the rehearsal needs from the target. */
export interface PlanNeeds {
  readonly rules: CopyRules;
  /**
   * Schemas of the target that `fromSchema` extracts read, with the tables and the step reading each:
   * the rehearsal server needs them too, under the same names.
   */
  readonly backupSchemas: ReadonlyMap<string, CopyRules>;
}

/** How far foreign keys widen the copy: children of children, parents of parents. */
const FK_ROUNDS = 3;

const columns = (names: readonly string[]) => names.map(quoteId).join(', ');

/**
 * The rows the module can touch, read from the plan on the target (nothing is computed or written
 * there): the rows of each scope's `keyFrom` table, the rows each snapshot would copy, widened by
 * foreign keys (a child row of a copied row, and a parent row a copied row needs). Every write of the
 * plan must fall on a table so bounded, or the rehearsal would run on rows it does not have.
 */
export async function rowsTheModuleCanTouch(
  target: Target,
  ledger: Ledger,
  planRun: RunRow,
  liveSchema: string,
): Promise<PlanNeeds> {
  const rules = new Map<string, CopyRule[]>();
  const backupSchemas = new Map<string, Map<string, CopyRule[]>>();
  const add = (table: string, rule: CopyRule) => rules.set(table, [...(rules.get(table) ?? []), rule]);
  const scopeTables: TableRef[] = [];
  const live = (table: string) => new TableRef(liveSchema, table).qualified;
  for (const step of await listSteps(ledger, [planRun.id])) {
    const recorded = step.detail_json ? (JSON.parse(step.detail_json) as { detail?: unknown }).detail : null;
    if (step.kind === 'extract' && (recorded as ExtractDetail | null)?.sourceKind === 'schema') {
      for (const t of (recorded as ExtractDetail).tables) {
        if (!t.sourceSchema) continue;
        const tables = backupSchemas.get(t.sourceSchema) ?? new Map<string, CopyRule[]>();
        tables.set(t.sourceTable, [
          { reason: `backup read by fromSchema in step ${step.name}`, where: null },
        ]);
        backupSchemas.set(t.sourceSchema, tables);
      }
    } else if (step.kind === 'scope' && recorded) {
      const scope = recorded as ScopeDetail;
      const table = new TableRef(scope.schema, scope.table);
      scopeTables.push(table);
      if (scope.keyFrom) {
        add(scope.keyFrom, {
          reason: `scope ${step.name}`,
          where: `(${columns(scope.key)}) IN (SELECT ${columns(scope.key)} FROM ${table.qualified})`,
        });
      }
    } else if (step.kind === 'snapshot') {
      const snapshot = recorded as SnapshotPlanDetail | null;
      if (!snapshot?.tables) {
        throw new RehearsalScopeError(
          `expected plan run ${planRun.id} to record what snapshot '${step.name}' would copy, found nothing`,
          { hint: 'the plan was made by an older rowback; run plan again, then rehearse' },
        );
      }
      for (const name of snapshot.tables) {
        const scope = snapshot.scope;
        const on = snapshot.on[name];
        const matched = on === undefined ? scope?.key : typeof on === 'string' ? [on] : on;
        add(name, {
          reason: `snapshot ${step.name}`,
          where:
            scope && matched
              ? `(${columns(matched)}) IN (SELECT ${columns(scope.key)} FROM ${new TableRef(scope.schema, scope.table).qualified})`
              : null,
        });
        if (scope) scopeTables.push(new TableRef(scope.schema, scope.table));
      }
    }
  }
  await requireScopeTables(target, planRun, scopeTables);
  requireBoundedWrites(planRun, rules);
  await widenByForeignKeys(target, liveSchema, rules, live);
  return { rules, backupSchemas };
}

/** `gc` may have dropped the plan's scope tables since; rehearse reads them, it does not remake them. */
async function requireScopeTables(
  target: Target,
  planRun: RunRow,
  tables: readonly TableRef[],
): Promise<void> {
  for (const table of tables) {
    const found = await sql<{ n: number }>`
      SELECT COUNT(*) AS n FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = ${table.schema} AND TABLE_NAME = ${table.name}`.execute(target.db);
    if (Number(found.rows[0]?.n ?? 0) === 0) {
      throw new RehearsalScopeError(
        `expected the scope table ${table} of plan run ${planRun.id} on the target, found it dropped`,
        {
          hint: 'run plan again (gc drops expired scope tables), then rehearse',
          facts: { table: String(table) },
        },
      );
    }
  }
}

function requireBoundedWrites(planRun: RunRow, rules: CopyRules): void {
  const report = planRun.report_json ? (JSON.parse(planRun.report_json) as RunReport) : null;
  for (const step of report?.steps ?? []) {
    for (const op of step.operations) {
      if (op.kind === 'verify' || rules.has(op.table)) continue;
      throw new RehearsalScopeError(
        `expected every write of plan run ${planRun.id} on a table bounded by a scope (keyFrom) or a snapshot, found ${op.kind} on ${op.table} in step '${step.name}' unbounded: its rows cannot be known reading the target only`,
        {
          hint: `snapshot the rows it touches first (r.snapshot(..., ['${op.table}'], { scope })), or give its scope keyFrom: '${op.table}'`,
          facts: { step: step.name, table: op.table, kind: op.kind },
        },
      );
    }
  }
}

/**
 * Foreign keys inside the live schema widen the copy: the children of copied rows (a delete there
 * cascades or is refused, as on live) and the parents copied rows point at (so writes pass the same
 * checks). Each round builds on the rules of the round before, so chains are followed FK_ROUNDS deep.
 */
async function widenByForeignKeys(
  target: Target,
  liveSchema: string,
  rules: Map<string, CopyRule[]>,
  live: (table: string) => string,
): Promise<void> {
  const inLive = (t: TableRef) => t.schema === liveSchema;
  const done = new Set<string>();
  for (let round = 0; round < FK_ROUNDS; round++) {
    const base = new Map([...rules].map(([table, list]) => [table, list] as const));
    const fks = (await readForeignKeys(
      target.db,
      [...base.keys()].map((t) => new TableRef(liveSchema, t)),
    )) as readonly ForeignKey[];
    let added = false;
    for (const fk of fks) {
      if (!inLive(fk.child) || !inLive(fk.parent) || fk.child.name === fk.parent.name) continue;
      const edges = [
        {
          from: fk.parent.name,
          to: fk.child.name,
          toCols: fk.columns,
          fromCols: fk.referencedColumns,
          what: 'child',
        },
        {
          from: fk.child.name,
          to: fk.parent.name,
          toCols: fk.referencedColumns,
          fromCols: fk.columns,
          what: 'parent',
        },
      ];
      for (const edge of edges) {
        const source = base.get(edge.from);
        const id = `${fk.child.name}.${fk.name}:${edge.what}`;
        if (!source || done.has(id)) continue;
        // Rules that came over this same key from the other side would only bring the same rows back.
        const own = source.filter((r) => !r.reason.startsWith(`FK ${fk.name} `));
        if (own.length === 0) continue;
        done.add(id);
        const condition = own.some((r) => r.where === null)
          ? ''
          : ` WHERE ${own.map((r) => `(${r.where})`).join(' OR ')}`;
        const list = rules.get(edge.to) ?? [];
        list.push({
          reason: `FK ${fk.name} ${edge.what} of ${edge.from}`,
          where: `(${columns(edge.toCols)}) IN (SELECT ${columns(edge.fromCols)} FROM ${live(edge.from)}${condition})`,
        });
        rules.set(edge.to, list);
        added = true;
      }
    }
    if (!added) return;
  }
}

/** The rules of one table as one condition for `fromServer`'s `where` (null: the whole table). */
export function copyCondition(rules: readonly CopyRule[]): string | null {
  if (rules.some((r) => r.where === null)) return null;
  return rules.map((r) => `(${r.where})`).join(' OR ');
}
