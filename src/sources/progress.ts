import type { ExtractProgress } from './source.ts';

const INTERVAL_MS = 250;

/** Calls the context's `onProgress` at most every 250 ms (and once at the end), never from a hot loop. */
export class ProgressReporter {
  readonly #onProgress: ((progress: ExtractProgress) => void) | undefined;
  readonly #total: number | null;
  #last = 0;

  constructor(onProgress: ((progress: ExtractProgress) => void) | undefined, total: number | null) {
    this.#onProgress = onProgress;
    this.#total = total;
  }

  report(table: string | null, bytesRead: number, rows: number, final = false): void {
    if (!this.#onProgress) return;
    const now = Date.now();
    if (!final && now - this.#last < INTERVAL_MS) return;
    this.#last = now;
    this.#onProgress(Object.freeze({ table, bytesRead, bytesTotal: this.#total, rows }));
  }
}
