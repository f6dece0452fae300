/**
 * One field of MySQL Shell's default `tsv` dialect (`Text_dump_writer::store_field`): NULL is `\N`;
 * NUL, backspace, LF, CR, TAB and 0x1A become `\0 \b \n \r \t \Z`; the backslash is doubled. A raw TAB or
 * LF in a data file therefore always separates fields or rows. Binary values are written as base64
 * (the table's `decodeColumns` says `FROM_BASE64`).
 */
export function tsvField(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return String(value).replace(SPECIAL, (ch) => ESCAPES[ch]!);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: these control bytes are exactly what MySQL Shell escapes.
const SPECIAL = /[\0\b\n\r\t\x1a\\]/g;

const ESCAPES: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\b': '\\b',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\x1a': '\\Z',
  '\\': '\\\\',
};

/** The inverse of `tsvField` for text columns; for tests and readers of the fixture. */
export function parseTsvField(field: string): string | null {
  if (field === '\\N') return null;
  return field.replace(/\\(.)/gs, (_match, ch: string) => UNESCAPES[ch] ?? ch);
}

const UNESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  b: '\b',
  n: '\n',
  r: '\r',
  t: '\t',
  Z: '\x1a',
};
