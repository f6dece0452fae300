import { splitQualified } from './mysqldump-tokenizer.ts';

/** What a non-row statement of a dump means to an extract. */
export type DumpStatement =
  | { readonly kind: 'use'; readonly schema: string }
  | { readonly kind: 'create-database'; readonly schema: string }
  | {
      readonly kind: 'create-table';
      readonly schema: string | null;
      readonly table: string;
      readonly text: string;
    }
  /** A view's placeholder or final definition: a name that is in the dump, but holds no rows. */
  | { readonly kind: 'create-view'; readonly schema: string | null; readonly view: string }
  | { readonly kind: 'set-names'; readonly charset: string }
  | { readonly kind: 'time-zone'; readonly zone: string }
  | { readonly kind: 'insert-other'; readonly table: string }
  | { readonly kind: 'other' }
  | { readonly kind: 'unknown'; readonly word: string };

/**
 * Statements a mysqldump / mariadb-dump file holds besides rows. Anything else means the bytes are not
 * what we think (a corrupt file, or rows that lost their INSERT), and is refused by the caller.
 */
const KNOWN = new Set([
  'SET',
  'DROP',
  'CREATE',
  'LOCK',
  'UNLOCK',
  'ALTER',
  'USE',
  'COMMIT',
  'START',
  'BEGIN',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'FLUSH',
  'GRANT',
  'REVOKE',
  'DELETE',
  'TRUNCATE',
  'INSERT',
  'REPLACE',
  'CHANGE',
  'RESET',
  'SELECT',
  'DO',
  'RENAME',
  'ANALYZE',
  'OPTIMIZE',
  'UPDATE',
  'INSTALL',
]);

/** Strips the wrapper of versioned comments (`/*!40101 … *\/`) and plain comments, keeping their body. */
function unwrap(text: string): string {
  return text
    .replace(/\/\*M?!\d*/g, ' ')
    .replace(/\*\//g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|\n)\s*(--|#)[^\n]*/g, '\n')
    .trim();
}

/** Classifies one statement (bytes read as UTF-8: only names and keywords matter here). */
export function classifyStatement(bytes: Buffer): DumpStatement {
  const text = unwrap(bytes.toString('utf8'));
  if (!text) return { kind: 'other' };
  const word = /^[A-Za-z_]+/.exec(text)?.[0]?.toUpperCase() ?? '';
  if (!KNOWN.has(word)) return { kind: 'unknown', word: text.slice(0, 40) };
  const name = '(`(?:[^`]|``)+`|[\\w$]+)';
  let match = new RegExp(`^USE\\s+${name}\\s*$`, 'i').exec(text);
  if (match) return { kind: 'use', schema: splitQualified(match[1]!)[0]! };
  match = new RegExp(`^CREATE\\s+(?:DATABASE|SCHEMA)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${name}`, 'i').exec(text);
  if (match) return { kind: 'create-database', schema: splitQualified(match[1]!)[0]! };
  match = new RegExp(
    `^CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?(${name.slice(1, -1)}(?:\\s*\\.\\s*${name.slice(1, -1)})?)\\s*\\(`,
    'i',
  ).exec(text);
  if (match) {
    const parts = splitQualified(match[1]!);
    return {
      kind: 'create-table',
      schema: parts.length === 2 ? parts[0]! : null,
      table: parts[parts.length - 1]!,
      text: bytes.toString('utf8'),
    };
  }
  // `CREATE [ALGORITHM=…] [DEFINER=…] [SQL SECURITY …] VIEW name`, the clauses in separate versioned comments.
  match = new RegExp(
    `^CREATE\\s+(?:OR\\s+REPLACE\\s+)?(?:[\\s\\S]*?\\s)?VIEW\\s+((?:${name.slice(1, -1)})(?:\\s*\\.\\s*(?:${name.slice(1, -1)}))?)\\s+AS\\b`,
    'i',
  ).exec(text);
  if (match) {
    const parts = splitQualified(match[1]!);
    return {
      kind: 'create-view',
      schema: parts.length === 2 ? parts[0]! : null,
      view: parts[parts.length - 1]!,
    };
  }
  match = /^SET\s+NAMES\s+'?(\w+)'?/i.exec(text);
  if (match) return { kind: 'set-names', charset: match[1]!.toLowerCase() };
  match = /^SET\s+TIME_ZONE\s*=\s*'([^']*)'/i.exec(text);
  if (match) return { kind: 'time-zone', zone: match[1]! };
  match = new RegExp(`^(?:INSERT|REPLACE)\\b[^\`(]*?INTO\\s+${name}`, 'i').exec(text);
  if (match) return { kind: 'insert-other', table: splitQualified(match[1]!).pop()! };
  // An INSERT we cannot even read the table of is damage, not something to skip.
  if (word === 'INSERT' || word === 'REPLACE') return { kind: 'unknown', word: text.slice(0, 40) };
  return { kind: 'other' };
}
