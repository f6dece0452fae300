import type { Kysely } from 'kysely';
import type { TableRef } from '../db/index.ts';
import { SchemaDriftError } from '../errors/index.ts';
import { type ColumnInfo, readTableMetadata, type TableMetadata } from './table-metadata.ts';

export interface SchemaDriftOptions {
  /** Columns (live names, or backup names for backup-only columns) to leave out of the comparison. */
  readonly ignore?: readonly string[];
  /** Live column → backup column, for a column renamed since the backup. */
  readonly map?: Readonly<Record<string, string>>;
}

/** One difference between the live and the backup table definition. */
export interface SchemaDifference {
  readonly column: string | null;
  readonly kind:
    | 'missing-in-backup'
    | 'missing-in-live'
    | 'type'
    | 'nullability'
    | 'collation'
    | 'generated'
    | 'primary-key';
  readonly live: string | null;
  readonly backup: string | null;
}

/**
 * Integer display widths (`int(11)` vs `int`) are cosmetic and MySQL 8.0.19+ no longer shows them;
 * they must not count as drift between a MariaDB backup and a MySQL live server.
 */
export function normalizeColumnType(columnType: string): string {
  return columnType
    .toLowerCase()
    .replace(/\b(tinyint|smallint|mediumint|int|integer|bigint)\(\d+\)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Compares the two tables' columns (names, types, nullability, collation, generated-ness) and primary keys. */
export function compareSchemas(
  live: TableMetadata,
  backup: TableMetadata,
  options: SchemaDriftOptions = {},
): readonly SchemaDifference[] {
  const ignore = new Set(options.ignore ?? []);
  const map = options.map ?? {};
  const backupByName = new Map(backup.columns.map((c) => [c.name, c]));
  const matchedBackup = new Set<string>();
  const differences: SchemaDifference[] = [];
  for (const column of live.columns) {
    if (ignore.has(column.name)) continue;
    const backupName = map[column.name] ?? column.name;
    const other = backupByName.get(backupName);
    if (!other) {
      differences.push({
        column: column.name,
        kind: 'missing-in-backup',
        live: column.columnType,
        backup: null,
      });
      continue;
    }
    matchedBackup.add(backupName);
    differences.push(...compareColumn(column, other));
  }
  for (const column of backup.columns) {
    if (matchedBackup.has(column.name) || ignore.has(column.name)) continue;
    differences.push({ column: column.name, kind: 'missing-in-live', live: null, backup: column.columnType });
  }
  const mappedKey = live.primaryKey.map((k) => map[k] ?? k).join(', ');
  if (mappedKey !== backup.primaryKey.join(', ')) {
    differences.push({
      column: null,
      kind: 'primary-key',
      live: live.primaryKey.join(', '),
      backup: backup.primaryKey.join(', '),
    });
  }
  return Object.freeze(differences.map((d) => Object.freeze(d)));
}

function compareColumn(live: ColumnInfo, backup: ColumnInfo): SchemaDifference[] {
  const out: SchemaDifference[] = [];
  const column = live.name;
  if (normalizeColumnType(live.columnType) !== normalizeColumnType(backup.columnType)) {
    out.push({ column, kind: 'type', live: live.columnType, backup: backup.columnType });
  }
  if (live.nullable !== backup.nullable) {
    const show = (c: ColumnInfo) => (c.nullable ? 'NULL' : 'NOT NULL');
    out.push({ column, kind: 'nullability', live: show(live), backup: show(backup) });
  }
  if ((live.collation ?? '') !== (backup.collation ?? '')) {
    out.push({ column, kind: 'collation', live: live.collation, backup: backup.collation });
  }
  if (live.generated !== backup.generated) {
    const show = (c: ColumnInfo) => (c.generated ? 'generated' : 'stored');
    out.push({ column, kind: 'generated', live: show(live), backup: show(backup) });
  }
  return out;
}

/** "column user_email: type varchar(100) in live, varchar(64) in the backup". */
export function describeDifference(d: SchemaDifference): string {
  const where = d.column === null ? 'primary key' : `column ${d.column}`;
  switch (d.kind) {
    case 'missing-in-backup':
      return `${where} (${d.live}) is in live but not in the backup`;
    case 'missing-in-live':
      return `${where} (${d.backup}) is in the backup but not in live`;
    case 'primary-key':
      return `primary key is (${d.live}) in live but (${d.backup}) in the backup`;
    default:
      return `${where}: ${d.kind} ${d.live} in live, ${d.backup} in the backup`;
  }
}

/**
 * Throws `SchemaDriftError` naming every difference between the live and backup table definitions;
 * call it before any write. Renamed columns can be mapped and irrelevant ones ignored explicitly.
 *
 * @example
 * await checkSchemaDrift(target.db, live('wp_users'), backup.table('wp_users'), { ignore: ['spam', 'deleted'] });
 */
export async function checkSchemaDrift(
  db: Kysely<any>,
  live: TableRef,
  backup: TableRef,
  options: SchemaDriftOptions = {},
): Promise<void> {
  const [liveMeta, backupMeta] = await Promise.all([
    readTableMetadata(db, live),
    readTableMetadata(db, backup),
  ]);
  assertNoSchemaDrift(liveMeta, backupMeta, options);
}

/** `checkSchemaDrift` on metadata already read. */
export function assertNoSchemaDrift(
  live: TableMetadata,
  backup: TableMetadata,
  options: SchemaDriftOptions = {},
): void {
  const differences = compareSchemas(live, backup, options);
  if (differences.length === 0) return;
  throw new SchemaDriftError(
    `live ${live.table} and backup ${backup.table} differ: ${differences.map(describeDifference).join('; ')}`,
    {
      hint: 'nothing was written; map renamed columns with { map: { liveName: backupName } } or leave columns out with { ignore: [...] } once you have checked they do not matter',
      facts: { live: live.table.toString(), backup: backup.table.toString(), differences },
    },
  );
}
