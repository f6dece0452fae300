import { setTimeout } from 'node:timers/promises';
import type { RowSink } from './table-loader.ts';

/** How long an abort waits for loads to settle after their connections were destroyed. */
const ABORT_WAIT_MS = 10_000;

/**
 * Loads that were fed completely and are finishing on the server while the reader moves on to the next
 * table. At most `limit` run at once; `settle()` waits for all and rethrows the first failure.
 */
export class ParallelLoads {
  readonly #limit: number;
  /** Each finishing sink and the end of its `finish`. */
  readonly #running = new Map<RowSink, Promise<void>>();
  readonly #open = new Set<RowSink>();
  #failure: unknown = null;

  constructor(limit = 4) {
    this.#limit = limit;
  }

  /** Registers a sink that is being fed, so `abort()` can stop it. */
  track(sink: RowSink): void {
    this.#open.add(sink);
  }

  /** Ends `sink` in the background; `onRows` gets the rows the server took. */
  async finish(sink: RowSink, onRows: (rows: number) => void): Promise<void> {
    const done = sink
      .end()
      .then(onRows)
      .catch(async (error: unknown) => {
        this.#failure ??= error;
        // A sink whose end failed may still hold a statement open on the server: cut it off.
        await sink.abort().catch(() => undefined);
      })
      .finally(() => {
        this.#running.delete(sink);
        this.#open.delete(sink);
      });
    this.#running.set(sink, done);
    while (this.#running.size >= this.#limit) await Promise.race(this.#running.values());
    if (this.#failure) throw this.#failure;
  }

  /** Waits until `sink`, handed to `finish`, has ended; rethrows the first failure of any load. */
  async ended(sink: RowSink): Promise<void> {
    await this.#running.get(sink);
    if (this.#failure) throw this.#failure;
  }

  async settle(): Promise<void> {
    await Promise.all(this.#running.values());
    if (this.#failure) throw this.#failure;
  }

  async abort(): Promise<void> {
    await Promise.all([...this.#open].map((sink) => sink.abort().catch(() => undefined)));
    // The sinks settle their own queries when aborted; the bound is a safety net, because a load that
    // never settles must not turn a failed extract into a hang.
    await Promise.race([
      Promise.allSettled(this.#running.values()),
      setTimeout(ABORT_WAIT_MS, undefined, { ref: false }),
    ]);
  }
}
