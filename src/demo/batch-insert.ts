import { CompiledQuery, type Kysely } from 'kysely';
import { quoteId, type TableRef } from '../db/index.ts';

export type SqlValue = string | number | null;

/**
 * Collects rows and writes them as multi-row `INSERT`s of about `maxBytes` each: one statement per row
 * would make a 100 000-user site take minutes. Values go as parameters; identifiers through `quoteId`.
 */
export class BatchInsert {
  readonly #db: Kysely<any>;
  readonly #head: string;
  readonly #placeholders: string;
  readonly #maxBytes: number;
  #values: SqlValue[] = [];
  #rows = 0;
  #bytes = 0;
  #written = 0;

  constructor(db: Kysely<any>, table: TableRef, columns: readonly string[], maxBytes = 512_000) {
    this.#db = db;
    this.#head = `INSERT INTO ${table.qualified} (${columns.map(quoteId).join(', ')}) VALUES `;
    this.#placeholders = `(${columns.map(() => '?').join(', ')})`;
    this.#maxBytes = maxBytes;
  }

  /** Rows written so far (flushed). */
  get written(): number {
    return this.#written;
  }

  async add(row: readonly SqlValue[]): Promise<void> {
    this.#values.push(...row);
    this.#rows++;
    for (const value of row) this.#bytes += typeof value === 'string' ? value.length * 2 + 4 : 8;
    if (this.#bytes >= this.#maxBytes) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.#rows === 0) return;
    const text = this.#head + Array.from({ length: this.#rows }, () => this.#placeholders).join(', ');
    const values = this.#values;
    const rows = this.#rows;
    this.#values = [];
    this.#rows = 0;
    this.#bytes = 0;
    await this.#db.executeQuery(CompiledQuery.raw(text, values));
    this.#written += rows;
  }
}
