import { escapeField } from './tsv-bytes.ts';

/** A key value as a module knows it: numbers and strings as MySQL prints them, bytes for binary keys. */
export type KeyValue = string | number | bigint | Uint8Array;

/** Keep only the rows whose `column` is one of `keys` (e.g. 500 users out of a 5 GB dump). */
export interface RowFilterSpec {
  readonly column: string;
  readonly keys: Iterable<KeyValue>;
}

/** Per source table name. */
export type RowFilters = Readonly<Record<string, RowFilterSpec>>;

/**
 * The key set in the exact byte form the key field takes in LOAD DATA text (escaped, read as latin1 so
 * every byte is one char): rows are kept or dropped without decoding a single field. Text keys compare
 * as their UTF-8 bytes, numbers as their decimal text, so `1.50` and `1.5` are different keys.
 */
export function tsvKeySet(keys: Iterable<KeyValue>, encode: (bytes: Uint8Array) => Uint8Array = (b) => b) {
  const set = new Set<string>();
  for (const key of keys) {
    const bytes =
      typeof key === 'string'
        ? Buffer.from(key, 'utf8')
        : typeof key === 'number' || typeof key === 'bigint'
          ? Buffer.from(String(key), 'latin1')
          : key;
    set.add(escapeField(encode(bytes)).toString('latin1'));
  }
  return set;
}
