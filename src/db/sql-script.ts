/**
 * Splits a SQL script into statements the way the `mysql` client does: `;` ends a statement except
 * inside quotes, backtick identifiers and comments; `DELIMITER xx` lines change the terminator (for
 * routines and triggers). Comments are kept inside statements (`/*!40101 … *\/` carries meaning);
 * statements that are only comments are dropped.
 *
 * @example splitSqlScript("SET @a = ';'; SELECT 1;") // ["SET @a = ';'", 'SELECT 1']
 */
export function splitSqlScript(script: string): string[] {
  const statements: string[] = [];
  let delimiter = ';';
  let start = 0;
  let i = 0;
  const push = (end: number) => {
    const text = script.slice(start, end).trim();
    if (text && !isOnlyComments(text)) statements.push(text);
  };
  while (i < script.length) {
    const ch = script[i]!;
    if (atLineStart(script, i) && /^delimiter[ \t]/i.test(script.slice(i, i + 10))) {
      push(i);
      const lineEnd = indexOrEnd(script, '\n', i);
      delimiter = script.slice(i + 10, lineEnd).trim();
      i = start = lineEnd + 1;
      continue;
    }
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipQuoted(script, i, ch);
    } else if (ch === '#' || (ch === '-' && script.startsWith('-- ', i)) || script.startsWith('--\n', i)) {
      i = indexOrEnd(script, '\n', i);
    } else if (ch === '/' && script[i + 1] === '*' && script[i + 2] !== '!') {
      i = indexOrEnd(script, '*/', i + 2) + 2;
    } else if (script.startsWith(delimiter, i)) {
      push(i);
      i = start = i + delimiter.length;
    } else {
      i++;
    }
  }
  push(script.length);
  return statements;
}

function atLineStart(text: string, i: number): boolean {
  return i === 0 || text[i - 1] === '\n';
}

function indexOrEnd(text: string, needle: string, from: number): number {
  const at = text.indexOf(needle, from);
  return at === -1 ? text.length : at;
}

/** Returns the index just past the closing quote; backslash escapes and doubled quotes are skipped. */
function skipQuoted(text: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '\\' && quote !== '`') i += 2;
    else if (ch === quote && text[i + 1] === quote) i += 2;
    else if (ch === quote) return i + 1;
    else i++;
  }
  return i;
}

function isOnlyComments(statement: string): boolean {
  const stripped = statement
    .replace(/\/\*(?!!)[\s\S]*?\*\//g, '')
    .replace(/(^|\n)\s*(--|#)[^\n]*/g, '')
    .trim();
  return stripped === '';
}
