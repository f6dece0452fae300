import type { DialectInfo } from '../db/index.ts';
import { quoteId, quoteQualified } from '../db/index.ts';
import { SourceError } from '../errors/index.ts';
import { standInCollation } from './collation-map.ts';
import { type CreateTable, type DumpColumn, parseCreateTable } from './create-table.ts';
import { type DdlToken, identName, isWord, joinTokens, lexDdl, significant } from './ddl-lexer.ts';

/** What the workspace server is and knows, for adapting DDL to it. */
export interface WorkspaceServer extends DialectInfo {
  /** `sql_require_primary_key` / `innodb_force_primary_key`. */
  readonly requirePrimaryKey: boolean;
  /** Lower-case collation names the server has. */
  readonly collations: ReadonlySet<string>;
}

export interface WorkspaceDdl {
  /** `CREATE TABLE` `ws`.`name` (…): the only statement a source runs for a table. */
  readonly sql: string;
  readonly columns: readonly DumpColumn[];
  /** Every change made, in words, for ExtractResult.ddlChanges. */
  readonly changes: readonly string[];
  /**
   * Secondary (non-unique) index clauses left out of `sql` with `deferIndexes`, to be added in one
   * `ALTER TABLE … ADD …` after the rows are in: a sorted index build instead of one random insert per
   * row and index, the way myloader defers indexes.
   */
  readonly deferredIndexes: readonly string[];
  /** The table has an AUTO_INCREMENT column (one kept, or the invisible primary key rowback added). */
  readonly generatesIds: boolean;
  /** Columns whose AUTO_INCREMENT `dropAutoIncrement` removed: every row must bring their values. */
  readonly droppedAutoIncrement: readonly string[];
}

export interface RewriteOptions {
  readonly deferIndexes?: boolean;
  /**
   * Drop the AUTO_INCREMENT attribute of the backup's columns (their values are all in the rows). A
   * LOAD DATA into a table with one holds the table's AUTO-INC lock for the whole statement under the
   * default `innodb_autoinc_lock_mode=1`, even when every row brings its id: two loads into the table
   * then run one after the other. Not listed in `changes`: no stored value differs.
   */
  readonly dropAutoIncrement?: boolean;
}

/** The invisible key rowback adds to a table without a primary key when the server insists on one. */
export const ROW_ID_COLUMN = 'rb_row_id';

/**
 * Rewrites a backup's `CREATE TABLE` for the workspace: the workspace name, InnoDB, no
 * `AUTO_INCREMENT=` noise, no foreign keys (they would name tables outside the workspace), no
 * tablespaces, directories or partitioning, versioned comments resolved for the target, collations the
 * target lacks replaced by safe stand-ins. Refuses (SourceError) what has no safe equivalent.
 *
 * @example
 * rewriteCreateTable('CREATE TABLE `t` (`id` int PRIMARY KEY) ENGINE=InnoDB AUTO_INCREMENT=5', 'rb_x', 'backup__t', server)
 * // { sql: 'CREATE TABLE `rb_x`.`backup__t` (\n  `id` int PRIMARY KEY\n) ENGINE=InnoDB', … }
 */
export function rewriteCreateTable(
  statement: string,
  workspace: string,
  name: string,
  server: WorkspaceServer,
  options: RewriteOptions = {},
): WorkspaceDdl {
  const changes: string[] = [];
  const deferredIndexes: string[] = [];
  const resolved = resolveVersionedComments(statement, server);
  const parsed = parseCreateTable(resolved);
  if (!parsed) {
    throw new SourceError(`not a plain CREATE TABLE statement: ${statement.slice(0, 120)}`, {
      facts: { expected: 'CREATE TABLE name (…)', found: statement.slice(0, 120) },
    });
  }
  const label = parsed.table;
  const items: string[] = [];
  // The server wants an AUTO_INCREMENT column to lead some index from the start: those are never deferred.
  const autoIncrement = new Set(
    parsed.items
      .map(significant)
      .filter((sig) => sig[0]?.kind === 'ident' && sig.some((t) => isWord(t, 'AUTO_INCREMENT')))
      .map((sig) => identName(sig[0]!).toLowerCase()),
  );
  // Not a ddlChange, like the AUTO_INCREMENT= table option: no row differs, and a change listed on every
  // extract would teach operators to skip the list (the runner shows each change as a warning).
  const droppedAutoIncrement = options.dropAutoIncrement ? [...autoIncrement] : [];
  if (options.dropAutoIncrement) autoIncrement.clear();
  let generatesIds = false;
  // One line per table, however many keys: a run's warnings list each change once.
  const droppedForeignKeys: string[] = [];
  for (const item of parsed.items) {
    const sig = significant(item);
    if (sig.length === 0) continue;
    if (isForeignKey(sig)) {
      droppedForeignKeys.push(describeItem(sig));
      continue;
    }
    if (server.flavour === 'mariadb' && isFunctionalIndex(sig)) {
      changes.push(
        `${label}: dropped functional index ${describeItem(sig)} (MariaDB has none; it does not change the rows)`,
      );
      continue;
    }
    const adapted = adaptTokens(item, server, label, changes);
    const tokens =
      options.dropAutoIncrement && sig[0]?.kind === 'ident'
        ? adapted.filter((t) => !isWord(t, 'AUTO_INCREMENT'))
        : adapted;
    if (tokens.some((t) => isWord(t, 'AUTO_INCREMENT'))) generatesIds = true;
    const text = joinTokens(tidySpaces(tokens));
    if (options.deferIndexes && isPlainIndex(sig) && !startsWithColumn(sig, autoIncrement))
      deferredIndexes.push(text);
    else items.push(text);
  }
  if (droppedForeignKeys.length > 0) {
    const what =
      droppedForeignKeys.length === 1 ? 'foreign key' : `${droppedForeignKeys.length} foreign keys`;
    changes.push(
      `${label}: dropped ${what} ${droppedForeignKeys.join(', ')} (workspace tables are not linked)`,
    );
  }
  if (!parsed.hasPrimaryKey && server.requirePrimaryKey) {
    if (parsed.items.some((item) => significant(item).some((t) => isWord(t, 'AUTO_INCREMENT')))) {
      throw new SourceError(
        `table ${label} has an AUTO_INCREMENT column but no primary key, and the workspace server requires one`,
        {
          hint: 'extract it into a workspace on a server without sql_require_primary_key / innodb_force_primary_key',
        },
      );
    }
    items.push(`${quoteId(ROW_ID_COLUMN)} bigint unsigned NOT NULL AUTO_INCREMENT INVISIBLE`);
    items.push(`PRIMARY KEY (${quoteId(ROW_ID_COLUMN)})`);
    generatesIds = true;
    changes.push(
      `${label}: added invisible primary key ${ROW_ID_COLUMN} (the table has none and the server requires one)`,
    );
  }
  const tableOptions = adaptOptions(parsed, server, label, changes);
  const sql = `CREATE TABLE ${quoteQualified(workspace, name)} (\n  ${items.join(',\n  ')}\n)${tableOptions ? ` ${tableOptions}` : ''}`;
  return Object.freeze({
    sql,
    columns: parsed.columns,
    changes: Object.freeze(changes),
    deferredIndexes: Object.freeze(deferredIndexes),
    generatesIds,
    droppedAutoIncrement: Object.freeze(droppedAutoIncrement),
  });
}

/** Parses the columns of a backup's CREATE TABLE (for LOAD DATA column lists and key positions). */
export function dumpColumns(statement: string, server: DialectInfo): CreateTable | null {
  return parseCreateTable(resolveVersionedComments(statement, server));
}

function versionNumber(version: string): number {
  const [a = 0, b = 0, c = 0] = version.split('.').map(Number);
  return a * 10000 + b * 100 + c;
}

/**
 * `/*!NNNNN body *\/` runs on MySQL ≥ N; MariaDB runs it too, and whatever MySQL-only syntax is in the
 * body is adapted like any other DDL. `/*M!NNNNNN body *\/` is MariaDB ≥ N only.
 */
function resolveVersionedComments(statement: string, server: DialectInfo): string {
  const version = versionNumber(server.version);
  return lexDdl(statement)
    .map((token) => {
      if (token.kind !== 'versioned') return token.text;
      const match = /^\/\*(M?)!(\d{5,6})?([\s\S]*?)\*\/$/.exec(token.text);
      if (!match) return ' ';
      const [, mariadbOnly, wanted, body] = match;
      const runs = mariadbOnly
        ? server.flavour === 'mariadb' && (!wanted || Number(wanted) <= version)
        : server.flavour === 'mariadb' || !wanted || Number(wanted) <= version;
      return runs ? ` ${body} ` : ' ';
    })
    .join('');
}

function isForeignKey(sig: readonly DdlToken[]): boolean {
  return sig.some((t) => isWord(t, 'FOREIGN')) && sig.some((t) => isWord(t, 'REFERENCES'));
}

/** Whether the index's first key part is one of `columns`. */
function startsWithColumn(sig: readonly DdlToken[], columns: ReadonlySet<string>): boolean {
  const open = sig.findIndex((t) => t.text === '(');
  const first = sig[open + 1];
  return first !== undefined && columns.has(identName(first).toLowerCase());
}

/** `KEY name (…)` / `INDEX name (…)`: not primary, unique, fulltext or spatial. */
function isPlainIndex(sig: readonly DdlToken[]): boolean {
  return isWord(sig[0], 'KEY', 'INDEX');
}

function isFunctionalIndex(sig: readonly DdlToken[]): boolean {
  if (!sig.some((t) => isWord(t, 'KEY', 'INDEX'))) return false;
  for (let k = 0; k + 1 < sig.length; k++) if (sig[k]!.text === '(' && sig[k + 1]!.text === '(') return true;
  return false;
}

function describeItem(sig: readonly DdlToken[]): string {
  const named = sig.find((t) => t.kind === 'ident');
  return named ? identName(named) : joinTokens(sig).slice(0, 60);
}

/** Column-level adaptations: collations, charsets, MySQL-only attributes on MariaDB. */
function adaptTokens(
  item: readonly DdlToken[],
  server: WorkspaceServer,
  label: string,
  changes: string[],
): DdlToken[] {
  const out: DdlToken[] = [];
  for (let k = 0; k < item.length; k++) {
    const token = item[k]!;
    if (isWord(token, 'COLLATE')) {
      out.push(token);
      const at = nextSignificant(item, k + 1, true);
      if (at !== -1) {
        for (let j = k + 1; j < at; j++) out.push(item[j]!);
        out.push(mapCollation(item[at]!, server, label, changes));
        k = at;
      }
      continue;
    }
    if (server.flavour === 'mariadb' && isWord(token, 'SRID')) {
      const at = nextSignificant(item, k + 1, false);
      if (at !== -1 && item[at]!.kind === 'number') {
        changes.push(
          `${label}: dropped column attribute SRID ${item[at]!.text} (MariaDB does not take it here)`,
        );
        k = at;
        continue;
      }
    }
    out.push(token);
  }
  return out;
}

/** One space between tokens, none at the ends: removed attributes leave no gaps behind. */
function tidySpaces(tokens: readonly DdlToken[]): DdlToken[] {
  const out: DdlToken[] = [];
  for (const token of tokens) {
    if (token.kind === 'space') {
      if (out.length > 0 && out[out.length - 1]!.kind !== 'space') out.push({ kind: 'space', text: ' ' });
    } else out.push(token);
  }
  while (out.length > 0 && out[out.length - 1]!.kind === 'space') out.pop();
  return out;
}

function nextSignificant(tokens: readonly DdlToken[], from: number, skipEquals: boolean): number {
  for (let j = from; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind === 'space' || t.kind === 'comment' || (skipEquals && t.text === '=')) continue;
    return j;
  }
  return -1;
}

function mapCollation(token: DdlToken, server: WorkspaceServer, label: string, changes: string[]): DdlToken {
  const name = token.kind === 'string' || token.kind === 'ident' ? token.text.slice(1, -1) : token.text;
  const standIn = standInCollation(name, server.collations);
  if (standIn === null) {
    throw new SourceError(
      `table ${label} uses collation ${name}, which the ${server.flavour} ${server.version} workspace server does not have and has no safe stand-in for`,
      {
        hint: 'extract into a workspace on a server of the same flavour as the backup',
        facts: { table: label, collation: name },
      },
    );
  }
  if (standIn !== name.toLowerCase()) {
    changes.push(`${label}: collation ${name} → ${standIn}`);
    return { kind: 'word', text: standIn };
  }
  return token;
}

const DROPPED_OPTIONS = new Set([
  'AUTO_INCREMENT',
  'TABLESPACE',
  'DATA DIRECTORY',
  'INDEX DIRECTORY',
  'STORAGE',
  'SECONDARY_ENGINE',
  'SECONDARY_ENGINE_ATTRIBUTE',
  'ENGINE_ATTRIBUTE',
  'PAGE_CHECKSUM',
  'TRANSACTIONAL',
  'UNION',
  'INSERT_METHOD',
]);
const QUIETLY_DROPPED = new Set(['AUTO_INCREMENT']);
const TWO_WORD = new Set([
  'DEFAULT CHARSET',
  'DEFAULT COLLATE',
  'CHARACTER SET',
  'DATA DIRECTORY',
  'INDEX DIRECTORY',
]);

/** Table options: InnoDB always (a workspace must hold rows transactionally), noise and placement dropped. */
function adaptOptions(
  parsed: CreateTable,
  server: WorkspaceServer,
  label: string,
  changes: string[],
): string {
  const sig = significant(parsed.options).filter((t) => t.text !== ';');
  const kept: string[] = ['ENGINE=InnoDB'];
  let k = 0;
  while (k < sig.length) {
    const first = sig[k]!;
    if (isWord(first, 'PARTITION')) {
      changes.push(
        `${label}: dropped partitioning (the workspace copy is not partitioned; rows are the same)`,
      );
      break;
    }
    let name = first.text.toUpperCase();
    k++;
    const second = sig[k];
    if (second && second.kind === 'word' && TWO_WORD.has(`${name} ${second.text.toUpperCase()}`)) {
      name = `${name} ${second.text.toUpperCase()}`;
      k++;
    }
    if (name === 'DEFAULT' && sig[k] && isWord(sig[k], 'CHARACTER')) {
      name = 'DEFAULT CHARACTER SET';
      k += 2;
    }
    if (sig[k]?.text === '=') k++;
    const value = sig[k];
    k++;
    if (!value) break;
    if (name === 'ENGINE' || name === 'TYPE') {
      if (value.text.toLowerCase() !== 'innodb') {
        changes.push(`${label}: ENGINE=${value.text} → InnoDB`);
      }
      continue;
    }
    if (name === 'ENCRYPTION') {
      const on = /^'?y/i.test(value.text);
      if (on && server.flavour === 'mariadb') {
        throw new SourceError(
          `table ${label} is encrypted (ENCRYPTION='Y'); a MariaDB workspace cannot keep it encrypted the same way`,
          {
            hint: 'extract it into a MySQL workspace with a keyring, or decide to store it unencrypted on purpose',
          },
        );
      }
      if (server.flavour === 'mariadb') {
        changes.push(`${label}: dropped ENCRYPTION=${value.text} (MySQL-only option)`);
        continue;
      }
    }
    if (name === 'COMPRESSION' && server.flavour === 'mariadb') {
      changes.push(`${label}: dropped COMPRESSION=${value.text} (MySQL-only option)`);
      continue;
    }
    if (DROPPED_OPTIONS.has(name)) {
      if (!QUIETLY_DROPPED.has(name)) changes.push(`${label}: dropped table option ${name} ${value.text}`);
      continue;
    }
    if (name.endsWith('COLLATE')) {
      kept.push(`${name}=${mapCollation(value, server, label, changes).text}`);
      continue;
    }
    kept.push(`${name}=${value.text}`);
  }
  return kept.join(' ');
}
