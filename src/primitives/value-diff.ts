import { diffWordsWithSpace } from 'diff';

/** How a value is shown in diffs: text as is, binary as `0x…` hex, NULL as null; cut to `max` characters. */
export function displayValue(value: unknown, max = 500): string | null {
  if (value === null || value === undefined) return null;
  const text = Buffer.isBuffer(value) ? `0x${value.toString('hex')}` : String(value);
  return text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;
}

/** Whether two values as the driver returned them are the same bytes. */
export function sameDriverValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b))
    return Buffer.isBuffer(a) && Buffer.isBuffer(b) && a.equals(b);
  return String(a) === String(b);
}

const CONTEXT = 30;

/**
 * A compact word diff of two long texts (serialized PHP in `meta_value` is the usual case):
 * `…context[-old-]{+new+}context…`, with unchanged stretches cut to a little context.
 *
 * @example textDiff('a:1:{s:4:"name";s:3:"Bob";}', 'a:1:{s:4:"name";s:5:"Alice";}')
 * // 'a:1:{s:4:"name";s:[-3:"Bob";}-]{+5:"Alice";}+}'
 */
export function textDiff(before: string, after: string): string {
  const parts = diffWordsWithSpace(before, after);
  return parts
    .map((part, i) => {
      if (part.added) return `{+${part.value}+}`;
      if (part.removed) return `[-${part.value}-]`;
      const v = part.value;
      if (v.length <= CONTEXT * 2) return v;
      const first = i === 0;
      const last = i === parts.length - 1;
      if (first) return `…${v.slice(-CONTEXT)}`;
      if (last) return `${v.slice(0, CONTEXT)}…`;
      return `${v.slice(0, CONTEXT)}…${v.slice(-CONTEXT)}`;
    })
    .join('');
}

/** Long or multi-line text gets a word diff; short values are shown whole. */
export function wantsTextDiff(a: unknown, b: unknown): boolean {
  return (
    typeof a === 'string' &&
    typeof b === 'string' &&
    (a.length > 60 || b.length > 60 || a.includes('\n') || b.includes('\n'))
  );
}
