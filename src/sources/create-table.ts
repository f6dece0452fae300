import { type DdlToken, identName, isWord, lexDdl, significant } from './ddl-lexer.ts';

export interface DumpColumn {
  readonly name: string;
  /** `GENERATED ALWAYS AS …` / `AS (…) VIRTUAL|STORED|PERSISTENT`: never written by a load. */
  readonly generated: boolean;
}

/** A `CREATE TABLE` statement taken apart: name, body items (columns, keys) and table options. */
export interface CreateTable {
  readonly schema: string | null;
  readonly table: string;
  /** Top-level items between the outer parentheses, each as its tokens (spaces trimmed). */
  readonly items: readonly (readonly DdlToken[])[];
  /** Tokens after the closing parenthesis: table options, partitioning. */
  readonly options: readonly DdlToken[];
  readonly columns: readonly DumpColumn[];
  readonly hasPrimaryKey: boolean;
}

/** First words of a table item that is not a column: keys, constraints, checks, periods. */
export const NON_COLUMN_ITEM_WORDS: readonly string[] = [
  'PRIMARY',
  'KEY',
  'INDEX',
  'UNIQUE',
  'FULLTEXT',
  'SPATIAL',
  'CONSTRAINT',
  'FOREIGN',
  'CHECK',
  'PERIOD',
];

/**
 * Parses `CREATE [TEMPORARY] TABLE [IF NOT EXISTS] name (…) options` (versioned comments already
 * resolved). Returns null for anything else (`CREATE … LIKE`, `CREATE TABLE … SELECT`, views).
 */
export function parseCreateTable(text: string): CreateTable | null {
  const tokens = lexDdl(text);
  let i = 0;
  const skip = () => {
    while (i < tokens.length && (tokens[i]!.kind === 'space' || tokens[i]!.kind === 'comment')) i++;
  };
  const word = (...words: string[]) => {
    skip();
    if (isWord(tokens[i], ...words)) {
      i++;
      return true;
    }
    return false;
  };
  if (!word('CREATE')) return null;
  word('OR');
  word('REPLACE');
  if (word('TEMPORARY')) return null;
  if (!word('TABLE')) return null;
  if (word('IF')) {
    if (!word('NOT') || !word('EXISTS')) return null;
  }
  skip();
  const names: string[] = [];
  for (;;) {
    const token = tokens[i];
    if (!token || (token.kind !== 'ident' && token.kind !== 'word')) return null;
    names.push(identName(token));
    i++;
    skip();
    if (tokens[i]?.text !== '.') break;
    i++;
    skip();
  }
  if (tokens[i]?.text !== '(') return null;
  i++;
  const items: DdlToken[][] = [];
  let current: DdlToken[] = [];
  let depth = 0;
  for (; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.text === '(') depth++;
    if (token.text === ')') {
      if (depth === 0) break;
      depth--;
    }
    if (token.text === ',' && depth === 0) {
      items.push(trim(current));
      current = [];
      continue;
    }
    current.push(token);
  }
  if (i >= tokens.length) return null;
  items.push(trim(current));
  const options = tokens.slice(i + 1);
  const columns: DumpColumn[] = [];
  let hasPrimaryKey = false;
  for (const item of items) {
    const sig = significant(item);
    const first = sig[0];
    if (!first) continue;
    if (isWord(first, ...NON_COLUMN_ITEM_WORDS)) {
      if (isWord(first, 'PRIMARY')) hasPrimaryKey = true;
      if (isWord(first, 'CONSTRAINT') && sig.some((t) => isWord(t, 'PRIMARY'))) hasPrimaryKey = true;
      continue;
    }
    const upper = sig.map((t) => (t.kind === 'word' ? t.text.toUpperCase() : ''));
    if (upper.includes('PRIMARY') && upper[upper.indexOf('PRIMARY') + 1] === 'KEY') hasPrimaryKey = true;
    const generated =
      upper.includes('GENERATED') || upper.some((w, k) => w === 'AS' && sig[k + 1]?.text === '(' && k > 1);
    columns.push(Object.freeze({ name: identName(first), generated }));
  }
  return Object.freeze({
    schema: names.length === 2 ? names[0]! : null,
    table: names[names.length - 1]!,
    items: Object.freeze(items),
    options: Object.freeze(options),
    columns: Object.freeze(columns),
    hasPrimaryKey,
  });
}

function trim(tokens: DdlToken[]): DdlToken[] {
  let start = 0;
  let end = tokens.length;
  while (start < end && tokens[start]!.kind === 'space') start++;
  while (end > start && tokens[end - 1]!.kind === 'space') end--;
  return tokens.slice(start, end);
}
