import type { Connection } from 'mysql2';
import type { RowSink } from './table-loader.ts';
import { escapeInto, LF, NULL_FIELD, TAB } from './tsv-bytes.ts';

/**
 * LOAD DATA text handed to the sink at a time. Each batch is a fresh Buffer the sink may keep, and
 * its bytes count as external memory that only a GC returns: 1 MB batches held the S3 copy (bench/,
 * 246,048 rows) at 9 MB of ArrayBuffers, 4 MB batches at 22-40 MB, for the same time.
 */
const BATCH_BYTES = 1 << 20;

/** What one SELECT put into its sink. */
export interface CopiedRows {
  readonly rows: number;
  readonly bytes: number;
}

/**
 * Runs `select` on `reader` (a mysql2 connection with `rowsAsArray` and `typeCast: false`, so every
 * value is the bytes the server sent, or null) and writes its rows into `sink` as LOAD DATA text.
 *
 * Each row is escaped inside mysql2's `result` event into one reused scratch buffer, and the
 * connection is paused while a full batch is written; nothing of a row outlives its event. A Readable
 * (`query.stream()`) instead queues rows across every await, and each queued field Buffer is a slice
 * that pins the whole socket chunk it came from; together with a new 8 MB buffer per 4 MB batch, the
 * process grew with the size of the copy (S3 at 200,000 users: peak RSS 217 MB, 148 MB at 20,000).
 */
export function copyRows(
  reader: Connection,
  select: string,
  values: readonly unknown[],
  sink: RowSink,
  onBatch: (copied: CopiedRows) => void,
): Promise<CopiedRows> {
  return new Promise((resolve, reject) => {
    let scratch = Buffer.allocUnsafe(BATCH_BYTES * 2);
    let o = 0;
    let batchRows = 0;
    let rows = 0;
    let bytes = 0;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    // The sink may hold on to what it is given (a PassThrough buffers it until the server asks for the
    // file), so it gets a copy and the scratch buffer stays ours.
    const takeBatch = (): [Buffer, number] => {
      const batch: [Buffer, number] = [Buffer.from(scratch.subarray(0, o)), batchRows];
      bytes += o;
      o = 0;
      batchRows = 0;
      if (scratch.length > BATCH_BYTES * 2) scratch = Buffer.allocUnsafe(BATCH_BYTES * 2);
      return batch;
    };
    const query = reader.query(select, [...values]);
    query.on('result', (result) => {
      if (failed) return;
      const row = result as unknown as readonly (Buffer | null)[];
      let need = 1;
      for (const value of row) need += value === null ? 3 : value.length * 2 + 1;
      if (o + need > scratch.length) {
        // Only a row of more than BATCH_BYTES gets here: grow rather than hold the row across a write.
        const grown = Buffer.allocUnsafe(o + need);
        scratch.copy(grown, 0, 0, o);
        scratch = grown;
      }
      for (let k = 0; k < row.length; k++) {
        if (k > 0) scratch[o++] = TAB;
        const value = row[k]!;
        if (value === null) o += NULL_FIELD.copy(scratch, o);
        else o = escapeInto(scratch, o, value);
      }
      scratch[o++] = LF;
      batchRows++;
      rows++;
      if (o < BATCH_BYTES) return;
      // mysql2 parses nothing while paused: packets that arrive meanwhile wait in its queue.
      reader.pause();
      sink.write(...takeBatch()).then(() => {
        if (failed) return;
        try {
          onBatch({ rows, bytes });
        } catch (error) {
          // A throwing progress callback fails the copy (it must not leave the reader paused forever).
          fail(error);
          return;
        }
        reader.resume();
      }, fail);
    });
    query.on('error', fail);
    // 'end' cannot come while paused: the end-of-rows packet waits in the same queue.
    query.on('end', () => {
      if (failed) return;
      const last = o > 0 ? sink.write(...takeBatch()) : Promise.resolve();
      last.then(() => resolve(Object.freeze({ rows, bytes })), fail);
    });
  });
}
