import { quoteId } from './quote.ts';
import { compareVersions, type Flavour } from './server-info.ts';

/** The parts of `ServerInfo` that decide which SQL a statement needs. */
export interface DialectInfo {
  readonly flavour: Flavour;
  readonly version: string;
}

/** MySQL 8.0.19 added row aliases for `INSERT … VALUES`, and 8.0.20 deprecated `VALUES(col)` there. */
export function supportsInsertRowAlias(server: DialectInfo): boolean {
  return server.flavour === 'mysql' && compareVersions(server.version, '8.0.19') >= 0;
}

/**
 * Builds `INSERT INTO t (cols) VALUES (?, …), … ON DUPLICATE KEY UPDATE …` for `rowCount` rows where
 * only `updateColumns` change on a duplicate key. MySQL ≥ 8.0.19 gets a row alias (`AS new` … `new.c`);
 * MariaDB and older MySQL get `VALUES(c)`, the only form they know.
 *
 * @example
 * insertValuesUpsert({ flavour: 'mariadb', version: '10.11.9' }, '`s`.`t`', ['id', 'a'], ['a'], 1)
 * // INSERT INTO `s`.`t` (`id`, `a`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `a` = VALUES(`a`)
 */
export function insertValuesUpsert(
  server: DialectInfo,
  qualifiedTable: string,
  columns: readonly string[],
  updateColumns: readonly string[],
  rowCount: number,
): string {
  const row = `(${columns.map(() => '?').join(', ')})`;
  const values = Array.from({ length: rowCount }, () => row).join(', ');
  const head = `INSERT INTO ${qualifiedTable} (${columns.map(quoteId).join(', ')}) VALUES ${values}`;
  if (updateColumns.length === 0) return head;
  if (supportsInsertRowAlias(server)) {
    const alias = quoteId('rb_new');
    const set = updateColumns.map((c) => `${quoteId(c)} = ${alias}.${quoteId(c)}`).join(', ');
    return `${head} AS ${alias} ON DUPLICATE KEY UPDATE ${set}`;
  }
  const set = updateColumns.map((c) => `${quoteId(c)} = VALUES(${quoteId(c)})`).join(', ');
  return `${head} ON DUPLICATE KEY UPDATE ${set}`;
}

/**
 * Condition on `information_schema.COLUMNS` (aliased `c`) that is true for generated columns, which
 * can never be written. MySQL marks them `VIRTUAL GENERATED` / `STORED GENERATED` in EXTRA (and uses
 * `DEFAULT_GENERATED` for expression defaults, which are writable); MariaDB says `VIRTUAL GENERATED`,
 * `STORED GENERATED` or `PERSISTENT GENERATED`.
 */
export const GENERATED_COLUMN_CONDITION =
  "(c.EXTRA LIKE '%VIRTUAL GENERATED%' OR c.EXTRA LIKE '%STORED GENERATED%' OR c.EXTRA LIKE '%PERSISTENT GENERATED%')";

/** True where the server hides the column from `SELECT *` (MySQL 8.0.23+ and MariaDB 10.3+ `INVISIBLE`). */
export function isInvisibleExtra(extra: string): boolean {
  return /\bINVISIBLE\b/i.test(extra);
}

/**
 * The character set name to write in SQL. `utf8` is an alias of `utf8mb3` on both flavours, but MySQL
 * 8.0 warns that it is deprecated each time it is named (a warning fails a load), and 8.0.30+ and
 * MariaDB 10.6+ report the set as `utf8mb3`; the `utf8mb3` name is accepted by both without a warning.
 *
 * @example
 * sqlCharsetName('utf8') // 'utf8mb3'
 */
export function sqlCharsetName(charset: string): string {
  const name = charset.toLowerCase();
  return name === 'utf8' ? 'utf8mb3' : name;
}
