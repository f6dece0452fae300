/** A value PHP's `serialize()` can write; objects are associative arrays, in insertion order. */
export type PhpValue =
  | null
  | boolean
  | number
  | string
  | readonly PhpValue[]
  | { readonly [key: string]: PhpValue };

/**
 * PHP `serialize()`, as WordPress stores arrays in `wp_usermeta.meta_value` (`wp_capabilities`,
 * `session_tokens`). String lengths are UTF-8 byte counts, not characters: a restore that re-encodes a
 * value breaks `unserialize()` in PHP, which is why these values make good test data.
 *
 * @example phpSerialize({ subscriber: true }) === 'a:1:{s:10:"subscriber";b:1;}'
 */
export function phpSerialize(value: PhpValue): string {
  if (value === null) return 'N;';
  if (typeof value === 'boolean') return `b:${value ? 1 : 0};`;
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return `i:${value};`;
    return `d:${value};`;
  }
  if (typeof value === 'string') return `s:${Buffer.byteLength(value, 'utf8')}:"${value}";`;
  const entries: [string | number, PhpValue][] = Array.isArray(value)
    ? value.map((item, index) => [index, item])
    : Object.entries(value);
  const body = entries.map(([key, item]) => phpKey(key) + phpSerialize(item)).join('');
  return `a:${entries.length}:{${body}}`;
}

/** PHP turns array keys that look like decimal integers into integers. */
function phpKey(key: string | number): string {
  if (typeof key === 'number' || /^(0|-?[1-9][0-9]*)$/.test(key)) return `i:${key};`;
  return phpSerialize(key);
}
