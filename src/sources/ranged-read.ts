import { SourceError } from '../errors/index.ts';

export interface RangedReadOptions {
  /** Bytes per ranged request. */
  readonly partSize: number;
  /** Requests in flight at once (read ahead of the consumer, in order). */
  readonly concurrency: number;
  /** Tries per part, counting the first; a body cut short or broken off is tried again. */
  readonly maxAttempts: number;
  /** Names the object in errors. */
  readonly name: string;
}

/** Fetches bytes [start, end) of an object; may return fewer when the connection broke off. */
export type FetchRange = (start: number, end: number, signal: AbortSignal) => Promise<Uint8Array>;

/**
 * An object of known `size` read as ordered parts by parallel ranged requests: up to `concurrency`
 * parts are fetched ahead while the consumer works on the current one, so memory stays at
 * `concurrency × partSize`. A part whose body ends early or breaks off is fetched again; an error the
 * store answered with (it has an HTTP status) is not: the SDK has already retried those that are worth
 * it. Leaving the loop early cancels the requests in flight.
 */
export async function* rangedRead(
  fetchRange: FetchRange,
  size: number,
  options: RangedReadOptions,
): AsyncGenerator<Uint8Array> {
  const parts = Math.ceil(size / options.partSize);
  const controller = new AbortController();
  const fetchPart = async (index: number): Promise<Uint8Array> => {
    const start = index * options.partSize;
    const end = Math.min(size, start + options.partSize);
    let last: unknown;
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      try {
        const bytes = await fetchRange(start, end, controller.signal);
        if (bytes.length === end - start) return bytes;
        last = new Error(`got ${bytes.length} of ${end - start} bytes`);
      } catch (error) {
        if (controller.signal.aborted || answeredByStore(error)) throw error;
        last = error;
      }
    }
    throw new SourceError(
      `${options.name}: bytes ${start}-${end - 1} of ${size} could not be read whole in ${options.maxAttempts} tries (${(last as Error).message}); the object was cut short or the connection keeps breaking`,
      {
        cause: last,
        facts: { file: options.name, offset: start, expected: end - start, size, kind: 'truncated' },
        hint: 'check the network to the object store and that the dump was not overwritten while being read',
      },
    );
  };
  const inflight: Promise<Uint8Array>[] = [];
  let next = 0;
  const launch = () => {
    const part = fetchPart(next++);
    // Parts wait in the queue until their turn; a failure is seen when it is awaited, not as unhandled.
    part.catch(() => undefined);
    inflight.push(part);
  };
  try {
    while (next < parts && inflight.length < options.concurrency) launch();
    while (inflight.length > 0) {
      const bytes = await inflight.shift()!;
      if (next < parts) launch();
      yield bytes;
    }
  } finally {
    controller.abort();
  }
}

function answeredByStore(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return error instanceof SourceError || typeof status === 'number';
}
