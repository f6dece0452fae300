import { type Kysely, sql } from 'kysely';
import { formatConnectionUrl, quoteId, quoteQualified, TableRef, type Target } from '../db/index.ts';
import { readTableMetadata, writableColumns } from '../primitives/index.ts';
import { fromServer } from '../sources/index.ts';
import { type CopyRules, copyCondition } from './rehearsal-scope.ts';

/** A live table as the rehearsal server has it. */
export interface RehearsalTable {
  readonly table: string;
  /** Rows copied from live (0 for a table the module cannot touch: created empty). */
  readonly rows: number;
  readonly reasons: readonly string[];
  readonly triggers: number;
  readonly foreignKeys: number;
}

export interface CopyResult {
  readonly tables: readonly RehearsalTable[];
  readonly notices: readonly string[];
}

export interface CopyLiveOptions {
  readonly liveSchema: string;
  /** The live copy's schema on the rehearsal server (created here). */
  readonly schema: string;
  /** Where `fromServer` lands the rows first (created and dropped here). */
  readonly staging: string;
  readonly rules: CopyRules;
  /** Only the tables the rules name (a backup schema), not every table of the schema. */
  readonly only?: boolean;
}

/**
 * Makes the live schema again on the rehearsal server: every base table from the target's own `SHOW
 * CREATE TABLE` (foreign keys, collations, AUTO_INCREMENT kept), the rows the module can touch
 * streamed by `fromServer` in one consistent snapshot (reads only on the target), then the triggers —
 * after the rows, so copying fires none of them.
 */
export async function copyLiveTables(
  live: Target,
  rehearsal: Target,
  options: CopyLiveOptions,
): Promise<CopyResult> {
  const notices: string[] = [];
  const objects = await sql<{ name: string; type: string }>`
    SELECT TABLE_NAME AS name, TABLE_TYPE AS type FROM information_schema.TABLES
    WHERE TABLE_SCHEMA = ${options.liveSchema} ORDER BY TABLE_NAME`.execute(live.db);
  const tables = objects.rows
    .filter((o) => o.type === 'BASE TABLE' && (!options.only || options.rules.has(o.name)))
    .map((o) => o.name);
  const views = objects.rows.filter((o) => o.type !== 'BASE TABLE').map((o) => o.name);
  if (views.length)
    notices.push(`views are not rehearsed (not created on the rehearsal server): ${views.join(', ')}`);
  for (const table of options.rules.keys()) {
    if (!tables.includes(table))
      notices.push(`the module names table ${table}, which the live schema does not have`);
  }
  const charset = await sql<{ charset: string; collation: string }>`
    SELECT DEFAULT_CHARACTER_SET_NAME AS charset, DEFAULT_COLLATION_NAME AS collation
    FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${options.liveSchema}`.execute(live.db);
  const { charset: cs, collation } = charset.rows[0] ?? {
    charset: 'utf8mb4',
    collation: 'utf8mb4_general_ci',
  };
  await sql
    .raw(`CREATE DATABASE ${quoteId(options.schema)} CHARACTER SET ${cs} COLLATE ${collation}`)
    .execute(rehearsal.db);
  await sql.raw(`CREATE DATABASE ${quoteId(options.staging)}`).execute(rehearsal.db);

  const copied = new Map<string, number>();
  await rehearsal.db.connection().execute(async (db) => {
    await sql.raw(`USE ${quoteId(options.schema)}`).execute(db);
    // Tables come in name order: a foreign key may name a table not created yet.
    await sql.raw('SET SESSION foreign_key_checks = 0').execute(db);
    for (const table of tables) {
      const ddl = await sql
        .raw<Record<string, string>>(`SHOW CREATE TABLE ${quoteQualified(options.liveSchema, table)}`)
        .execute(live.db);
      await sql.raw(ddl.rows[0]?.['Create Table'] ?? '').execute(db);
    }
    const selected = tables.filter((t) => options.rules.has(t));
    if (selected.length) {
      const where = Object.fromEntries(
        selected.flatMap((t) => {
          const condition = copyCondition(options.rules.get(t) ?? []);
          return condition === null ? [] : [[t, sql.raw(condition)]];
        }),
      );
      const result = await fromServer(formatConnectionUrl(live.options), {
        schema: options.liveSchema,
        tables: selected,
        where,
      }).extract({ target: rehearsal, workspace: options.staging, tableName: (t) => t });
      for (const landed of result.tables) {
        const target = new TableRef(options.schema, landed.sourceTable);
        const cols = writableColumns(await readTableMetadata(db, target))
          .map(quoteId)
          .join(', ');
        await sql
          .raw(`INSERT INTO ${target.qualified} (${cols}) SELECT ${cols} FROM ${landed.table.qualified}`)
          .execute(db);
        copied.set(landed.sourceTable, landed.rows);
      }
    }
    await sql.raw('SET SESSION foreign_key_checks = 1').execute(db);
  });
  await sql.raw(`DROP DATABASE ${quoteId(options.staging)}`).execute(rehearsal.db);
  const triggers = await copyTriggers(live, rehearsal, options);
  const fks = await sql<{ table: string; n: number }>`
    SELECT TABLE_NAME AS ${sql.id('table')}, COUNT(*) AS n FROM information_schema.REFERENTIAL_CONSTRAINTS
    WHERE CONSTRAINT_SCHEMA = ${options.schema} GROUP BY TABLE_NAME`.execute(rehearsal.db);
  return Object.freeze({
    tables: tables.map((table) =>
      Object.freeze({
        table,
        rows: copied.get(table) ?? 0,
        reasons: (options.rules.get(table) ?? []).map((r) => r.reason),
        triggers: triggers.get(table) ?? 0,
        foreignKeys: Number(fks.rows.find((r) => r.table === table)?.n ?? 0),
      }),
    ),
    notices,
  });
}

/**
 * Each trigger from `SHOW CREATE TRIGGER`, under the sql_mode it was made with, without its DEFINER:
 * the live definer account need not exist on the rehearsal server, and a trigger whose definer is
 * missing fails every statement that fires it.
 */
async function copyTriggers(
  live: Target,
  rehearsal: Target,
  options: CopyLiveOptions,
): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const list = await sql<{ name: string; table: string }>`
    SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS ${sql.id('table')} FROM information_schema.TRIGGERS
    WHERE TRIGGER_SCHEMA = ${options.liveSchema} ORDER BY EVENT_OBJECT_TABLE, ACTION_TIMING, ACTION_ORDER`.execute(
    live.db,
  );
  if (!list.rows.length) return counts;
  await rehearsal.db.connection().execute(async (db) => {
    await sql.raw(`USE ${quoteId(options.schema)}`).execute(db);
    const mode = await sql<{ mode: string }>`SELECT @@SESSION.sql_mode AS mode`.execute(db);
    try {
      await createTriggers(db, live, options, list.rows, counts);
    } finally {
      await sql`SET SESSION sql_mode = ${mode.rows[0]?.mode ?? ''}`.execute(db);
    }
  });
  return counts;
}

async function createTriggers(
  db: Kysely<any>,
  live: Target,
  options: CopyLiveOptions,
  triggers: readonly { readonly name: string; readonly table: string }[],
  counts: Map<string, number>,
): Promise<void> {
  for (const { name, table } of triggers) {
    const shown = await sql
      .raw<Record<string, string>>(`SHOW CREATE TRIGGER ${quoteQualified(options.liveSchema, name)}`)
      .execute(live.db);
    const row = shown.rows[0] ?? {};
    const statement = withoutDefiner(row['SQL Original Statement'] ?? '');
    await sql`SET SESSION sql_mode = ${row.sql_mode ?? ''}`.execute(db);
    await sql.raw(statement).execute(db);
    counts.set(table, (counts.get(table) ?? 0) + 1);
  }
}

/**
 * A `CREATE … TRIGGER` statement without its `DEFINER = user@host` clause, in the quotings MySQL and
 * MariaDB print (backticks, quotes, bare).
 *
 * @example withoutDefiner('CREATE DEFINER=`root`@`%` TRIGGER t …') // 'CREATE TRIGGER t …'
 */
export function withoutDefiner(statement: string): string {
  return statement.replace(
    /^(\s*CREATE\s+)DEFINER\s*=\s*(`[^`]*`|'[^']*'|[^\s@]+)@(`[^`]*`|'[^']*'|\S+)\s+/i,
    '$1',
  );
}
