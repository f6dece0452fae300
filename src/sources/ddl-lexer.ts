/** One lexical token of a DDL statement; `text` is exactly the source text, so tokens re-join losslessly. */
export interface DdlToken {
  readonly kind: 'space' | 'word' | 'ident' | 'string' | 'number' | 'punct' | 'comment' | 'versioned';
  readonly text: string;
}

/**
 * Splits DDL text into tokens: quoted identifiers, strings (with `\` escapes and doubled quotes),
 * comments, and versioned comments (`/*!80016 … *\/`, `/*M!100000 … *\/`) as one token each, so a
 * rewrite can look at words without ever touching the inside of a string.
 */
export function lexDdl(text: string): DdlToken[] {
  const tokens: DdlToken[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(text[i]!)) i++;
      tokens.push({ kind: 'space', text: text.slice(start, i) });
    } else if (c === '`' || c === "'" || c === '"') {
      i++;
      while (i < n) {
        if (text[i] === '\\' && c !== '`') i += 2;
        else if (text[i] === c && text[i + 1] === c) i += 2;
        else if (text[i] === c) {
          i++;
          break;
        } else i++;
      }
      tokens.push({ kind: c === '`' ? 'ident' : 'string', text: text.slice(start, i) });
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
      const body = text.slice(start, i);
      tokens.push({ kind: /^\/\*M?!/.test(body) ? 'versioned' : 'comment', text: body });
    } else if ((c === '-' && text.startsWith('-- ', i)) || c === '#') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? n : end;
      tokens.push({ kind: 'comment', text: text.slice(start, i) });
    } else if (/[\w$]/.test(c)) {
      while (i < n && /[\w$]/.test(text[i]!)) i++;
      const word = text.slice(start, i);
      tokens.push({ kind: /^\d/.test(word) ? 'number' : 'word', text: word });
    } else {
      i++;
      tokens.push({ kind: 'punct', text: c });
    }
  }
  return tokens;
}

/** The unquoted name of an identifier token (`` `a``b` `` → ``a`b``) or a bare word. */
export function identName(token: DdlToken): string {
  return token.kind === 'ident' ? token.text.slice(1, -1).replaceAll('``', '`') : token.text;
}

/** Tokens without spaces and comments. */
export function significant(tokens: readonly DdlToken[]): DdlToken[] {
  return tokens.filter((t) => t.kind !== 'space' && t.kind !== 'comment');
}

export function isWord(token: DdlToken | undefined, ...words: string[]): boolean {
  return token !== undefined && token.kind === 'word' && words.includes(token.text.toUpperCase());
}

export function joinTokens(tokens: readonly DdlToken[]): string {
  return tokens.map((t) => t.text).join('');
}

/**
 * Index of the first token from `from` on that is not a space or comment (nor `=` with `skipEquals`,
 * for `COLLATE = x`), or -1.
 */
export function nextSignificant(tokens: readonly DdlToken[], from: number, skipEquals = false): number {
  for (let j = from; j < tokens.length; j++) {
    const t = tokens[j]!;
    if (t.kind === 'space' || t.kind === 'comment' || (skipEquals && t.text === '=')) continue;
    return j;
  }
  return -1;
}
