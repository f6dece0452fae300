import { compareVersions, type DialectInfo } from '../db/index.ts';
import { NON_COLUMN_ITEM_WORDS } from './create-table.ts';
import { type DdlToken, identName, isWord, nextSignificant, significant } from './ddl-lexer.ts';

/**
 * Functions MySQL takes as a bare `DEFAULT` (every other expression default needs parentheses there,
 * `DEFAULT (uuid())`, while MariaDB writes `DEFAULT uuid()`).
 */
const BARE_DEFAULT_FUNCTIONS = new Set(['CURRENT_TIMESTAMP', 'NOW', 'LOCALTIME', 'LOCALTIMESTAMP']);

/** Types MySQL refuses a literal default for (ER_BLOB_CANT_HAVE_DEFAULT) unless it is an expression. */
const NO_LITERAL_DEFAULT =
  /^(tiny|medium|long)?(text|blob)$|^json$|^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|geomcollection)$/i;

/**
 * Adapts one body item (a column or an index) of a CREATE TABLE written by one flavour for a
 * workspace of the other: on MySQL, MariaDB's `PERSISTENT` generated columns become `STORED`,
 * expression and TEXT/BLOB literal defaults get the parentheses MySQL needs, `IGNORED` indexes become
 * `INVISIBLE` and CHECK constraint names go (MySQL wants them unique per schema, MariaDB per table, so
 * a second copy of a table in one workspace would fail; the server names them after the new table).
 * On MariaDB, MySQL's `INVISIBLE` indexes become `IGNORED` (10.6+) or plain indexes.
 * Every change that could matter is pushed to `changes`.
 *
 * @example
 * adaptItemForFlavour(lexDdl('`id` char(36) DEFAULT uuid()'), { flavour: 'mysql', version: '8.4.3' }, 't', [])
 * // tokens of: `id` char(36) DEFAULT (uuid())
 */
export function adaptItemForFlavour(
  item: readonly DdlToken[],
  server: DialectInfo,
  label: string,
  changes: string[],
): DdlToken[] {
  const sig = significant(item);
  const isColumn = !isIndexStart(sig);
  if (server.flavour === 'mysql') {
    if (isColumn) return adaptColumnForMysql(item, sig, label, changes);
    return adaptIndexForMysql(item, sig, label, changes);
  }
  if (!isColumn) return adaptIndexForMariadb(item, server, label, changes);
  return [...item];
}

function isIndexStart(sig: readonly DdlToken[]): boolean {
  return isWord(sig[0], ...NON_COLUMN_ITEM_WORDS);
}

function adaptColumnForMysql(
  item: readonly DdlToken[],
  sig: readonly DdlToken[],
  label: string,
  changes: string[],
): DdlToken[] {
  const column = sig[0] ? identName(sig[0]) : '?';
  const type = sig[1]?.text ?? '';
  const out: DdlToken[] = [];
  for (let k = 0; k < item.length; k++) {
    const token = item[k]!;
    if (isWord(token, 'PERSISTENT')) {
      out.push({ kind: 'word', text: 'STORED' });
      continue;
    }
    if (!isWord(token, 'DEFAULT')) {
      out.push(token);
      continue;
    }
    out.push(token);
    const at = nextSignificant(item, k + 1);
    if (at === -1) continue;
    const value = item[at]!;
    const open = nextSignificant(item, at + 1);
    const isCall = value.kind === 'word' && open !== -1 && item[open]!.text === '(';
    if (isCall && !BARE_DEFAULT_FUNCTIONS.has(value.text.toUpperCase())) {
      const close = matchingParen(item, open);
      for (let j = k + 1; j < at; j++) out.push(item[j]!);
      out.push({ kind: 'punct', text: '(' }, ...item.slice(at, close + 1), { kind: 'punct', text: ')' });
      changes.push(
        `${label}: column ${column} DEFAULT ${value.text}() → DEFAULT (${value.text}()) (MySQL wants expression defaults in parentheses)`,
      );
      k = close;
      continue;
    }
    const isLiteral = value.kind === 'string' || value.kind === 'number' || value.text === '-';
    if (isLiteral && NO_LITERAL_DEFAULT.test(type)) {
      const end = value.text === '-' ? nextSignificant(item, at + 1) : at;
      for (let j = k + 1; j < at; j++) out.push(item[j]!);
      out.push({ kind: 'punct', text: '(' }, ...item.slice(at, end + 1), { kind: 'punct', text: ')' });
      changes.push(
        `${label}: column ${column} literal DEFAULT on ${type} written as an expression (MySQL takes no literal default there)`,
      );
      k = end;
    }
  }
  return out;
}

function adaptIndexForMysql(
  item: readonly DdlToken[],
  sig: readonly DdlToken[],
  label: string,
  changes: string[],
): DdlToken[] {
  if (isWord(sig[0], 'CONSTRAINT') && sig.some((t) => isWord(t, 'CHECK'))) {
    // The name goes with everything up to CHECK; the server makes <table>_chk_<n>, unique in the schema.
    const check = item.findIndex((t) => isWord(t, 'CHECK'));
    return item.slice(check);
  }
  return item.map((token) => {
    if (!isWord(token, 'IGNORED')) return token;
    changes.push(`${label}: IGNORED index → INVISIBLE (the MySQL name for it)`);
    return { kind: 'word', text: 'INVISIBLE' };
  });
}

function adaptIndexForMariadb(
  item: readonly DdlToken[],
  server: DialectInfo,
  label: string,
  changes: string[],
): DdlToken[] {
  const hasIgnored = compareVersions(server.version, '10.6.0') >= 0;
  const out: DdlToken[] = [];
  for (const token of item) {
    if (!isWord(token, 'INVISIBLE')) {
      out.push(token);
      continue;
    }
    if (hasIgnored) {
      changes.push(`${label}: INVISIBLE index → IGNORED (the MariaDB name for it)`);
      out.push({ kind: 'word', text: 'IGNORED' });
    } else {
      changes.push(
        `${label}: INVISIBLE index made visible (MariaDB before 10.6 cannot hide an index; rows are the same)`,
      );
    }
  }
  return out;
}

function matchingParen(tokens: readonly DdlToken[], open: number): number {
  let depth = 0;
  for (let j = open; j < tokens.length; j++) {
    if (tokens[j]!.text === '(') depth++;
    else if (tokens[j]!.text === ')' && --depth === 0) return j;
  }
  return tokens.length - 1;
}
