/**
 * The byte format every source hands to the table loader: `LOAD DATA` text with its default escaping
 * (`FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n'`), `\N` for NULL. A raw TAB, LF or
 * backslash never occurs inside a field, so rows can be split and filtered without decoding anything.
 */
export const TAB = 0x09;
export const LF = 0x0a;
export const BACKSLASH = 0x5c;

/** `\N`: NULL in LOAD DATA text. */
export const NULL_FIELD = Buffer.from('\\N', 'latin1');

/**
 * Appends `bytes` to `out` at `at` escaped for LOAD DATA text; returns the new end. `out` must have
 * room for twice the input.
 */
export function escapeInto(
  out: Buffer,
  at: number,
  bytes: Uint8Array,
  start = 0,
  end = bytes.length,
): number {
  let o = at;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    if (b === TAB) {
      out[o++] = BACKSLASH;
      out[o++] = 0x74; // t
    } else if (b === LF) {
      out[o++] = BACKSLASH;
      out[o++] = 0x6e; // n
    } else if (b === BACKSLASH) {
      out[o++] = BACKSLASH;
      out[o++] = BACKSLASH;
    } else if (b === 0) {
      out[o++] = BACKSLASH;
      out[o++] = 0x30; // 0
    } else {
      out[o++] = b;
    }
  }
  return o;
}

/** One field escaped for LOAD DATA text (NULL → `\N`). */
export function escapeField(value: Uint8Array | null): Buffer {
  if (value === null) return NULL_FIELD;
  const out = Buffer.allocUnsafe(value.length * 2);
  return out.subarray(0, escapeInto(out, 0, value));
}

/** Decodes one LOAD DATA text field back to its bytes; `\N` alone is NULL. */
export function unescapeField(text: Buffer, start: number, end: number): Buffer | null {
  if (end - start === 2 && text[start] === BACKSLASH && text[start + 1] === 0x4e) return null;
  const out = Buffer.allocUnsafe(end - start);
  let o = 0;
  for (let i = start; i < end; i++) {
    const b = text[i]!;
    if (b !== BACKSLASH || i + 1 >= end) {
      out[o++] = b;
      continue;
    }
    const e = text[++i]!;
    out[o++] = UNESCAPE[e] ?? e;
  }
  return out.subarray(0, o);
}

const UNESCAPE: Readonly<Record<number, number>> = {
  48: 0, // \0
  98: 0x08, // \b
  110: LF, // \n
  114: 0x0d, // \r
  116: TAB, // \t
  90: 0x1a, // \Z
};

/** Splits whole LOAD DATA text rows into fields (escaped form, as subarrays). */
export function splitTsvRows(text: Buffer, onRow: (fields: readonly [number, number][]) => void): void {
  let fields: [number, number][] = [];
  let fieldStart = 0;
  for (let i = 0; i < text.length; i++) {
    const b = text[i]!;
    if (b === BACKSLASH) {
      i++;
    } else if (b === TAB) {
      fields.push([fieldStart, i]);
      fieldStart = i + 1;
    } else if (b === LF) {
      fields.push([fieldStart, i]);
      onRow(fields);
      fields = [];
      fieldStart = i + 1;
    }
  }
}
