import { setTimeout } from 'node:timers/promises';
import { type Connection, createConnection } from 'mysql2/promise';
import { poolOptions, restoreSqlMode, type Target } from '../db/index.ts';
import { SourceError } from '../errors/index.ts';

/** How long an abort waits for killed statements to return. */
const ABORT_WAIT_MS = 10_000;

/**
 * Statements that run beside the load, each on a connection of its own (a landed table's index build
 * and checks while the reader feeds the next table), at most `limit` at once. `abort()` kills the
 * running ones (`KILL QUERY`) and waits for them, so a failed extract can drop its tables without
 * waiting on a metadata lock held by an index build that still has minutes to go.
 */
export class BackgroundStatements {
  readonly #target: Target;
  readonly #limit: number;
  readonly #running = new Set<Connection>();
  readonly #pending = new Set<Promise<unknown>>();
  readonly #queue: (() => void)[] = [];
  #active = 0;
  #aborted = false;

  constructor(target: Target, limit = 4) {
    this.#target = target;
    this.#limit = limit;
  }

  /**
   * Runs one statement on its own connection, in the session every pool connection has (connect.ts):
   * strict mode stays, so an index the server would truncate is refused as it would be in the CREATE.
   */
  query<Row>(statement: string): Promise<Row[]> {
    const done = this.#run<Row>(statement);
    this.#pending.add(done);
    done.finally(() => this.#pending.delete(done)).catch(() => undefined);
    return done;
  }

  async #run<Row>(statement: string): Promise<Row[]> {
    while (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#queue.push(resolve));
    this.#active++;
    try {
      const connection = await this.#open();
      this.#running.add(connection);
      try {
        if (this.#aborted) throw new SourceError('the extract was aborted');
        const [rows] = await connection.query(statement);
        return rows as Row[];
      } finally {
        this.#running.delete(connection);
        await connection.end().catch(() => connection.destroy());
      }
    } finally {
      this.#active--;
      this.#queue.shift()?.();
    }
  }

  async #open(): Promise<Connection> {
    const { connectionLimit: _limit, ...options } = poolOptions(this.#target.options);
    const connection = await createConnection(options);
    try {
      const [rows] = await connection.query('SELECT @@SESSION.sql_mode AS mode');
      const mode = (rows as { mode: string }[])[0]?.mode ?? '';
      await connection.query('SET SESSION sql_mode = ?', [restoreSqlMode(mode)]);
      return connection;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** Kills what runs, refuses what would start, and waits (bounded) until every statement returned. */
  async abort(): Promise<void> {
    this.#aborted = true;
    for (const start of this.#queue.splice(0)) start();
    if (this.#running.size > 0) {
      // A connection of its own: the pool may be the one that is stuck.
      const killer = await this.#open().catch(() => null);
      for (const connection of this.#running) {
        await (killer?.query(`KILL QUERY ${Number(connection.threadId)}`) ?? Promise.reject()).catch(() =>
          connection.destroy(),
        );
      }
      await killer?.end().catch(() => killer.destroy());
    }
    // A statement the server does not stop quickly must not turn a failed extract into a hang.
    await Promise.race([
      Promise.allSettled(this.#pending),
      setTimeout(ABORT_WAIT_MS, undefined, { ref: false }),
    ]);
    for (const connection of this.#running) connection.destroy();
  }
}
