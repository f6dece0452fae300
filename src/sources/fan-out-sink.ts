import type { RowSink } from './table-loader.ts';

interface Lane {
  readonly sink: RowSink;
  /** The write this lane is busy with (one at a time: a sink writes its batches in order). */
  busy: Promise<void> | null;
}

/**
 * One table loaded through several sinks at once (myloader does the same with its threads): each batch
 * goes to a sink that is not busy, so the server inserts on several threads while the reader parses.
 * For a table whose rows may land in any order (no id generation, no REPLACE / IGNORE: which of two
 * duplicate rows wins must not depend on timing). Every sink counts the rows it sent against the rows
 * its server statement took, so the whole table's count stays exact; the first failure aborts the other
 * sinks.
 */
export class FanOutSink implements RowSink {
  readonly #open: () => Promise<RowSink>;
  readonly #streams: number;
  readonly #fanOutBytes: number;
  readonly #lanes: Lane[] = [];
  #bytes = 0;
  #next = 0;
  #failure: unknown = null;
  #aborted = false;

  private constructor(open: () => Promise<RowSink>, streams: number, fanOutBytes: number) {
    this.#open = open;
    this.#streams = streams;
    this.#fanOutBytes = fanOutBytes;
  }

  /** Opens the first sink now and the others once `fanOutBytes` went through (a small table keeps one). */
  static async open(open: () => Promise<RowSink>, streams: number, fanOutBytes: number): Promise<FanOutSink> {
    const sink = new FanOutSink(open, streams, fanOutBytes);
    sink.#lanes.push({ sink: await open(), busy: null });
    return sink;
  }

  async write(tsv: Buffer, rows: number): Promise<void> {
    const lane = await this.#idleLane();
    this.#bytes += tsv.length;
    const busy = lane.sink.write(tsv, rows).then(
      () => {
        lane.busy = null;
      },
      (error: unknown) => {
        lane.busy = null;
        this.#fail(error);
      },
    );
    lane.busy = busy;
  }

  async #idleLane(): Promise<Lane> {
    if (this.#lanes.length < this.#streams && this.#bytes >= this.#fanOutBytes) {
      const lane: Lane = { sink: await this.#open(), busy: null };
      this.#lanes.push(lane);
      if (this.#aborted) await lane.sink.abort();
    }
    for (;;) {
      if (this.#failure) throw this.#failure;
      // Round robin among the idle ones: a LOAD DATA LOCAL that gets no data for net_read_timeout
      // (30 s by default) is cut off by the server, so no lane may starve while another keeps up.
      for (let k = 0; k < this.#lanes.length; k++) {
        const at = (this.#next + k) % this.#lanes.length;
        const lane = this.#lanes[at]!;
        if (lane.busy === null) {
          this.#next = at + 1;
          return lane;
        }
      }
      await Promise.race(this.#lanes.map((l) => l.busy));
    }
  }

  async end(): Promise<number> {
    // Each lane ends as soon as its own last write is through: a lane that waits for a row lock of
    // another (a duplicate key across lanes) gets it when the other commits, not after a timeout.
    const ends = this.#lanes.map(async (lane) => {
      await lane.busy;
      if (this.#failure) throw this.#failure;
      try {
        return await lane.sink.end();
      } catch (error) {
        await this.#fail(error);
        throw error;
      }
    });
    const results = await Promise.allSettled(ends);
    if (this.#failure) {
      // Every lane is cut off by now (#fail): none is left waiting on the server for the rest of its file.
      await this.#cutOff;
      throw this.#failure;
    }
    return results.reduce((sum, r) => sum + (r.status === 'fulfilled' ? r.value : 0), 0);
  }

  #cutOff: Promise<void> = Promise.resolve();

  /**
   * The first failure decides: every lane's load is cut off at once instead of finishing for nothing —
   * a LOAD DATA LOCAL left without the end of its file would hold its table until net_read_timeout.
   */
  #fail(error: unknown): Promise<void> {
    if (this.#failure === null) {
      this.#failure = error;
      this.#cutOff = this.abort();
    }
    return this.#cutOff;
  }

  async abort(): Promise<void> {
    this.#aborted = true;
    await Promise.all(this.#lanes.map((l) => l.sink.abort().catch(() => undefined)));
  }
}
