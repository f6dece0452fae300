import { BACKSLASH, LF, TAB } from './tsv-bytes.ts';

/** Keep rows whose field `field` (escaped LOAD DATA text, read as latin1) is in `keys`. */
export interface TsvKeyFilter {
  readonly field: number;
  readonly keys: ReadonlySet<string>;
}

/**
 * Cuts a stream of LOAD DATA text into batches of whole rows (a raw LF always ends a row: the Shell
 * writes LF inside values as `\n`), counting them and, with a filter, keeping only wanted rows.
 */
export class TsvRowAligner {
  readonly #filter: TsvKeyFilter | null;
  #rest: Buffer | null = null;

  constructor(filter: TsvKeyFilter | null) {
    this.#filter = filter;
  }

  /** Whole rows from `chunk` plus what was left over; the incomplete tail waits for the next chunk. */
  push(chunk: Buffer): { readonly rows: Buffer; readonly count: number } {
    const data = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    const end = data.lastIndexOf(LF) + 1;
    this.#rest = end < data.length ? Buffer.from(data.subarray(end)) : null;
    const whole = data.subarray(0, end);
    return this.#filter ? this.#filtered(whole, this.#filter) : { rows: whole, count: countRows(whole) };
  }

  /** Bytes after the last row terminator: a cut-off row. */
  get leftover(): number {
    return this.#rest?.length ?? 0;
  }

  #filtered(data: Buffer, filter: TsvKeyFilter): { rows: Buffer; count: number } {
    const out = Buffer.allocUnsafe(data.length);
    let o = 0;
    let count = 0;
    let rowStart = 0;
    let field = 0;
    let fieldStart = 0;
    let key = '';
    for (let i = 0; i < data.length; i++) {
      const b = data[i]!;
      if (b === BACKSLASH) {
        i++;
      } else if (b === TAB || b === LF) {
        if (field === filter.field) key = data.toString('latin1', fieldStart, i);
        field++;
        fieldStart = i + 1;
        if (b === LF) {
          if (filter.keys.has(key)) {
            data.copy(out, o, rowStart, i + 1);
            o += i + 1 - rowStart;
            count++;
          }
          rowStart = i + 1;
          field = 0;
          key = '';
        }
      }
    }
    return { rows: out.subarray(0, o), count };
  }
}

function countRows(data: Buffer): number {
  let count = 0;
  let at = data.indexOf(LF);
  while (at !== -1) {
    count++;
    at = data.indexOf(LF, at + 1);
  }
  return count;
}
