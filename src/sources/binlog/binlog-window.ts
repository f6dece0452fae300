import { UsageError } from '../../errors/index.ts';

/** A point in the binary log: a time, a transaction's GTID, or a file and byte position. */
export type BinlogPoint =
  | { readonly time: Date | string }
  | { readonly gtid: string }
  | { readonly file: string; readonly position: number };

/**
 * Which transactions a window holds. `start` is inclusive (the transaction at that time, GTID or
 * position is in). `stop`: a GTID is inclusive (the last bad transaction); a time or a position is
 * exclusive, as `mysqlbinlog --stop-datetime/--stop-position` (the first transaction at or after it is
 * out). No stop: to the end of the log.
 */
export interface BinlogWindow {
  readonly start: BinlogPoint;
  readonly stop?: BinlogPoint;
}

/** Where a transaction begins in the log. */
export interface TransactionPlace {
  readonly file: string;
  readonly position: number;
  /** Seconds since the epoch. */
  readonly timestamp: number;
  readonly gtid: string | null;
}

function seconds(time: Date | string): number {
  const ms = (time instanceof Date ? time : new Date(time)).getTime();
  if (Number.isNaN(ms)) {
    throw new UsageError(`binlog window time ${JSON.stringify(String(time))} is not a date`, {
      hint: "give a Date or an ISO time with its zone, e.g. '2026-11-26T14:05:00Z'",
    });
  }
  return ms / 1000;
}

/** Binlog file names sort by their numeric suffix (`binlog.000009` < `binlog.000010`). */
export function comparePlaces(
  a: { file: string; position: number },
  b: { file: string; position: number },
): number {
  const suffix = (f: string) => Number(/\.(\d+)$/.exec(f)?.[1] ?? Number.NaN);
  const fa = suffix(a.file);
  const fb = suffix(b.file);
  if (fa !== fb && !Number.isNaN(fa) && !Number.isNaN(fb)) return fa - fb;
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return a.position - b.position;
}

/** Decides, transaction by transaction in log order, whether it is in the window and when to stop. */
export class WindowTracker {
  readonly #window: BinlogWindow;
  #started = false;
  #done = false;

  constructor(window: BinlogWindow) {
    this.#window = window;
  }

  /** Whether the window's start has been met. */
  get started(): boolean {
    return this.#started;
  }

  /** Whether no later transaction can be in the window. */
  get done(): boolean {
    return this.#done;
  }

  /** Call once per transaction, in log order: is it in the window? */
  admit(place: TransactionPlace): boolean {
    if (this.#done) return false;
    if (!this.#started) {
      const start = this.#window.start;
      if ('gtid' in start) this.#started = place.gtid === start.gtid;
      else if ('time' in start) this.#started = place.timestamp >= seconds(start.time);
      else this.#started = comparePlaces(place, start) >= 0;
      if (!this.#started) return false;
    }
    const stop = this.#window.stop;
    if (!stop) return true;
    if ('gtid' in stop) {
      if (place.gtid === stop.gtid) this.#done = true;
      return true;
    }
    const past = 'time' in stop ? place.timestamp >= seconds(stop.time) : comparePlaces(place, stop) >= 0;
    if (past) this.#done = true;
    return !past;
  }
}
