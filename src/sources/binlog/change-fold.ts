import type { ScannedChange } from './binlog-scan.ts';
import type { RowChangeKind } from './event-types.ts';
import type { BinlogValue } from './row-image.ts';

/** What a stretch of the log did to one key: its first and last change, and the images that matter. */
export interface KeyChanges {
  readonly key: readonly BinlogValue[];
  readonly firstKind: RowChangeKind;
  readonly firstFile: string;
  readonly firstPosition: number;
  readonly firstGtid: string | null;
  /** The row before the first change (null when the first change inserted it). */
  readonly before: readonly BinlogValue[] | null;
  lastKind: RowChangeKind;
  lastFile: string;
  lastPosition: number;
  lastGtid: string | null;
  /** The row after the last change (null when the last change deleted it). */
  after: readonly BinlogValue[] | null;
  kinds: Set<RowChangeKind>;
  events: number;
}

/** A key as a map key: the values' text (Buffers as hex), unambiguous across types. */
function keyString(values: readonly BinlogValue[]): string {
  return JSON.stringify(values.map((v) => (Buffer.isBuffer(v) ? `x${v.toString('hex')}` : v)));
}

/**
 * Folds row changes, in log order, into one entry per key. An update that changes the primary key is
 * a delete of the old key and an insert of the new one, so every entry keeps one key throughout.
 */
export class ChangeFold {
  readonly #entries = new Map<string, KeyChanges>();
  #bytes = 0;

  get size(): number {
    return this.#entries.size;
  }

  /** Roughly the bytes the images held here take (strings and buffers), to bound a batch's memory. */
  get bytes(): number {
    return this.#bytes;
  }

  add(change: ScannedChange): void {
    this.#bytes += imageBytes(change.before) + imageBytes(change.after);
    const keyOf = (row: readonly BinlogValue[]) => change.table.key.map((i) => row[i]!);
    if (change.kind === 'update') {
      const before = keyOf(change.before!);
      const after = keyOf(change.after!);
      if (keyString(before) !== keyString(after)) {
        this.#record(before, 'delete', change.before, null, change);
        this.#record(after, 'insert', null, change.after, change);
        return;
      }
      this.#record(before, 'update', change.before, change.after, change);
      return;
    }
    const image = change.kind === 'insert' ? change.after! : change.before!;
    this.#record(keyOf(image), change.kind, change.before, change.after, change);
  }

  #record(
    key: readonly BinlogValue[],
    kind: RowChangeKind,
    before: readonly BinlogValue[] | null,
    after: readonly BinlogValue[] | null,
    change: ScannedChange,
  ): void {
    const id = keyString(key);
    const entry = this.#entries.get(id);
    if (entry) {
      entry.lastKind = kind;
      entry.lastFile = change.file;
      entry.lastPosition = change.position;
      entry.lastGtid = change.gtid;
      entry.after = after;
      entry.kinds.add(kind);
      entry.events++;
      return;
    }
    this.#entries.set(id, {
      key,
      firstKind: kind,
      firstFile: change.file,
      firstPosition: change.position,
      firstGtid: change.gtid,
      before,
      lastKind: kind,
      lastFile: change.file,
      lastPosition: change.position,
      lastGtid: change.gtid,
      after,
      kinds: new Set([kind]),
      events: 1,
    });
  }

  /** The entries so far, in first-seen order, and a fresh fold. */
  drain(): KeyChanges[] {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#bytes = 0;
    return entries;
  }
}

function imageBytes(image: readonly BinlogValue[] | null): number {
  if (!image) return 0;
  let bytes = 0;
  for (const v of image) bytes += Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? v.length : 8;
  return bytes;
}
