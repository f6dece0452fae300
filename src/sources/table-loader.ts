import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Connection } from 'mysql2/promise';
import { quoteId, type TableRef, type Target, writeLimits } from '../db/index.ts';
import { SourceError } from '../errors/index.ts';
import { FanOutSink } from './fan-out-sink.ts';
import { type LoadMethod, type LoadSettings, openLoadSession } from './load-session.ts';
import { splitTsvRows, unescapeField } from './tsv-bytes.ts';

/** One field of the incoming rows: the column it goes to (null: discard, e.g. a generated column). */
export interface LoadColumn {
  readonly name: string | null;
  /** The field is encoded text (MySQL Shell `decodeColumns`). */
  readonly decode?: 'FROM_BASE64' | 'UNHEX';
}

export interface TableLoadSpec extends LoadSettings {
  readonly table: TableRef;
  readonly columns: readonly LoadColumn[];
  /** Character set of the text in the rows (`SET NAMES` of the dump, `defaultCharacterSet`). */
  readonly dataCharset: string;
  /** REPLACE / IGNORE duplicates the way the backup's statement said; plain INSERT means none expected. */
  readonly duplicates: 'error' | 'replace' | 'ignore';
  readonly method: LoadMethod;
  /**
   * LOAD DATA connections to spread the rows over (default 1). Only for a table without id generation
   * and with `duplicates: 'error'` (fan-out-sink.ts); otherwise one.
   */
  readonly streams?: number;
}

/** Receives whole rows as LOAD DATA text (tsv-bytes.ts) and lands them in one workspace table. */
export interface RowSink {
  /**
   * Takes a batch of whole rows. The sink may still hold `tsv` after the promise resolves (the LOAD DATA
   * stream, the driver's socket queue): pass a buffer that nobody changes afterwards.
   */
  write(tsv: Buffer, rows: number): Promise<void>;
  /** Finishes the load; resolves with the rows the server took. */
  end(): Promise<number>;
  /** Stops a load that will not be finished (the caller drops the table). */
  abort(): Promise<void>;
}

interface ColumnType {
  readonly charset: string | null;
  readonly dataType: string;
}

const BINARY_TYPES =
  /^(binary|varbinary|tinyblob|blob|mediumblob|longblob|bit|geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|geomcollection)$/;
/**
 * Row bytes a table's loads may queue in the client (socket buffers, all lanes together), plus the
 * stream in front of each: the kernel's socket buffers keep the server fed, and every MiB queued here
 * is garbage soon after, which the process's peak RSS pays for (S1 at 200k, two lanes: 4 MiB + 1 MiB
 * per lane, 189-194 MB; 2 MiB + 256 KiB, 179 MB, same time).
 */
const SOCKET_HIGH_WATER = 2 << 20;
const STREAM_HIGH_WATER = 256 << 10;
const INSERT_BATCH_BYTES = 4 << 20;
/** A table smaller than this keeps one load connection. */
const FAN_OUT_AFTER_BYTES = 8 << 20;

/**
 * Opens a loader for one table. Text columns whose character set differs from the data's go through
 * `CONVERT(… USING data charset)`; every other field goes in as bytes (`CHARACTER SET binary`), so
 * nothing is ever re-encoded on the way.
 */
export async function openTableLoader(target: Target, spec: TableLoadSpec): Promise<RowSink> {
  const streams = spec.streams ?? 1;
  if (streams > 1 && spec.method === 'load-data' && spec.duplicates === 'error') {
    // The lanes share the one socket budget: the client holds no more rows in flight than with one.
    return FanOutSink.open(
      () => openSink(target, spec, SOCKET_HIGH_WATER / streams),
      streams,
      FAN_OUT_AFTER_BYTES,
    );
  }
  return openSink(target, spec, SOCKET_HIGH_WATER);
}

async function openSink(target: Target, spec: TableLoadSpec, socketHighWater: number): Promise<RowSink> {
  const types = await columnTypes(target, spec.table);
  const connection = await openLoadSession(target, spec);
  const segment = segmentLimits(target);
  return spec.method === 'load-data'
    ? new LoadDataSink(connection, spec, types, segment, socketHighWater)
    : new InsertSink(connection, spec, types, segment.rows);
}

/** How much one LOAD (or one INSERT) may carry: one transaction, one writeset on a cluster. */
interface SegmentLimits {
  readonly bytes: number;
  readonly rows: number;
}

/**
 * 256 MiB per LOAD, or a quarter of the cluster's transaction limit (Galera's `wsrep_max_ws_size`,
 * Group Replication's size limit) where one is set, and half of Galera's `wsrep_max_ws_rows`: the
 * writeset also carries index and row-image overhead the bytes of the data do not show.
 */
function segmentLimits(target: Target): SegmentLimits {
  const limits = writeLimits(target.topology);
  const bytes = limits.maxBytes
    ? Math.max(1 << 20, Math.min(256 << 20, Math.floor(limits.maxBytes / 4)))
    : 256 << 20;
  return { bytes, rows: limits.maxRows ? Math.max(1, Math.floor(limits.maxRows / 2)) : Infinity };
}

async function columnTypes(target: Target, table: TableRef): Promise<Map<string, ColumnType>> {
  const connection = await openLoadSession(target, { timeZone: null });
  try {
    const [rows] = await connection.query(
      `SELECT COLUMN_NAME AS name, CHARACTER_SET_NAME AS charset, DATA_TYPE AS dataType
         FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [table.schema, table.name],
    );
    const map = new Map<string, ColumnType>();
    for (const row of rows as { name: string; charset: string | null; dataType: string }[]) {
      map.set(row.name.toLowerCase(), { charset: row.charset, dataType: String(row.dataType).toLowerCase() });
    }
    return map;
  } finally {
    await connection.end();
  }
}

function sameCharset(columnCharset: string, dataCharset: string): boolean {
  const a = columnCharset.toLowerCase();
  const b = dataCharset.toLowerCase();
  if (a === b) return true;
  // utf8mb3 text is utf8mb4 text with the same bytes.
  return b === 'utf8mb4' && (a === 'utf8mb3' || a === 'utf8');
}

function typeOf(types: Map<string, ColumnType>, spec: TableLoadSpec, name: string): ColumnType {
  const type = types.get(name.toLowerCase());
  if (!type) {
    throw new SourceError(`the backup has rows for column ${name}, which table ${spec.table} does not have`, {
      facts: { table: spec.table.toString(), column: name },
    });
  }
  return type;
}

/** Whether a field must be converted from the data's character set rather than stored as bytes. */
function needsConvert(type: ColumnType, dataCharset: string): boolean {
  // MySQL refuses binary strings for JSON columns (MariaDB's JSON is text with a charset).
  if (type.charset === null) return type.dataType === 'json';
  return !sameCharset(type.charset, dataCharset);
}

/**
 * Streams rows into `LOAD DATA LOCAL INFILE`. A long table is loaded in segments of at most
 * `segmentBytes` (one LOAD, one transaction each), so no single transaction outgrows
 * `group_replication_transaction_size_limit` or the undo log.
 */
class LoadDataSink implements RowSink {
  readonly #connection: Connection;
  readonly #spec: TableLoadSpec;
  readonly #sql: string;
  readonly #segment: SegmentLimits;
  readonly #socketHighWater: number;
  #stream: PassThrough | null = null;
  #done: Promise<number> | null = null;
  #failure: unknown = null;
  /** Settles a LOAD DATA that `abort()` cut off: mysql2 never settles a query on a destroyed connection. */
  readonly #aborted = Promise.withResolvers<never>();
  #wasAborted = false;
  #bytes = 0;
  #segmentRows = 0;
  #rowsSent = 0;
  #affected = 0;

  constructor(
    connection: Connection,
    spec: TableLoadSpec,
    types: Map<string, ColumnType>,
    segment: SegmentLimits,
    socketHighWater: number,
  ) {
    this.#connection = connection;
    this.#spec = spec;
    this.#segment = segment;
    this.#socketHighWater = socketHighWater;
    const fields: string[] = [];
    const sets: string[] = [];
    spec.columns.forEach((column, index) => {
      const variable = `@rb_v${index}`;
      if (column.name === null) {
        fields.push(variable);
        return;
      }
      const type = typeOf(types, spec, column.name);
      if (column.decode) {
        fields.push(variable);
        sets.push(`${quoteId(column.name)} = ${column.decode}(${variable})`);
      } else if (needsConvert(type, spec.dataCharset)) {
        fields.push(variable);
        sets.push(`${quoteId(column.name)} = CONVERT(${variable} USING ${charsetName(spec.dataCharset)})`);
      } else {
        fields.push(quoteId(column.name));
      }
    });
    const duplicates =
      spec.duplicates === 'replace' ? 'REPLACE ' : spec.duplicates === 'ignore' ? 'IGNORE ' : '';
    this.#sql =
      `LOAD DATA LOCAL INFILE 'rowback-stream' ${duplicates}INTO TABLE ${spec.table.qualified} CHARACTER SET binary ` +
      `FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' (${fields.join(', ')})` +
      (sets.length ? ` SET ${sets.join(', ')}` : '');
  }

  #start(): { stream: PassThrough; done: Promise<number> } {
    const stream = new PassThrough({ highWaterMark: STREAM_HIGH_WATER });
    const query = this.#connection
      .query({ sql: this.#sql, infileStreamFactory: () => stream })
      .then(([result]) => Number((result as { affectedRows?: number }).affectedRows ?? 0));
    const done = Promise.race([query, this.#aborted.promise]);
    done.catch((error: unknown) => {
      this.#failure ??= error;
      stream.destroy();
    });
    this.#stream = stream;
    this.#done = done;
    this.#bytes = 0;
    this.#segmentRows = 0;
    return { stream, done };
  }

  async #finishSegment(): Promise<void> {
    if (!this.#stream || !this.#done) return;
    this.#stream.end();
    this.#affected += await this.#done;
    this.#stream = null;
    this.#done = null;
    await checkWarnings(this.#connection, this.#spec);
  }

  async write(tsv: Buffer, rows: number): Promise<void> {
    if (this.#failure) throw loadError(this.#spec, this.#failure);
    try {
      const full =
        this.#bytes + tsv.length > this.#segment.bytes || this.#segmentRows + rows > this.#segment.rows;
      if (this.#stream && this.#bytes > 0 && full) await this.#finishSegment();
    } catch (error) {
      throw loadError(this.#spec, error);
    }
    const { stream, done } =
      this.#stream && this.#done ? { stream: this.#stream, done: this.#done } : this.#start();
    this.#rowsSent += rows;
    this.#segmentRows += rows;
    this.#bytes += tsv.length;
    const failed = done.then(
      () => undefined,
      () => undefined,
    );
    if (!stream.write(tsv)) await Promise.race([once(stream, 'drain'), failed]);
    // mysql2 forwards stream data to the socket without waiting: hold back while the socket is full.
    const socket = (
      this.#connection as unknown as {
        connection?: { stream?: NodeJS.WritableStream & { writableLength: number } };
      }
    ).connection?.stream;
    while (socket && socket.writableLength > this.#socketHighWater && !this.#failure) {
      await Promise.race([once(socket, 'drain'), failed]);
    }
    if (this.#failure) throw loadError(this.#spec, this.#failure);
  }

  async end(): Promise<number> {
    try {
      await this.#finishSegment();
      if (this.#spec.duplicates === 'error' && this.#affected !== this.#rowsSent) {
        throw new SourceError(
          `loading ${this.#spec.table}: the backup has ${this.#rowsSent} rows, the server took ${this.#affected} (duplicate keys in the backup?)`,
          { facts: { expected: this.#rowsSent, found: this.#affected } },
        );
      }
      return this.#affected;
    } catch (error) {
      throw loadError(this.#spec, error);
    } finally {
      // end() on a destroyed connection never settles either.
      if (!this.#wasAborted) await this.#connection.end().catch(() => undefined);
    }
  }

  async abort(): Promise<void> {
    // Destroy the connection first: a server in the middle of LOAD DATA LOCAL waits for the rest of the
    // file until net_read_timeout, and the table it holds could not be dropped meanwhile.
    this.#wasAborted = true;
    this.#connection.destroy();
    this.#stream?.destroy();
    this.#aborted.promise.catch(() => undefined);
    this.#aborted.reject(new SourceError(`loading ${this.#spec.table} was aborted`));
  }
}

/** Batched multi-row INSERTs with every value as a parameter, for servers without LOCAL INFILE. */
class InsertSink implements RowSink {
  readonly #connection: Connection;
  readonly #spec: TableLoadSpec;
  readonly #expressions: string[] = [];
  readonly #head: string;
  #values: (Buffer | null)[] = [];
  #rows = 0;
  #bytes = 0;
  #landed = 0;
  #sent = 0;
  readonly #batchRows: number;

  constructor(
    connection: Connection,
    spec: TableLoadSpec,
    types: Map<string, ColumnType>,
    batchRows: number,
  ) {
    this.#connection = connection;
    this.#spec = spec;
    this.#batchRows = batchRows;
    const names: string[] = [];
    for (const column of spec.columns) {
      if (column.name === null) {
        this.#expressions.push('');
        continue;
      }
      const type = typeOf(types, spec, column.name);
      names.push(quoteId(column.name));
      const binary = type.charset === null && BINARY_TYPES.test(type.dataType);
      this.#expressions.push(
        column.decode
          ? `${column.decode}(?)`
          : binary
            ? '?'
            : // A parameter Buffer arrives as a binary string: give it the data's character set.
              `CONVERT(? USING ${charsetName(spec.dataCharset)})`,
      );
    }
    const verb =
      spec.duplicates === 'replace' ? 'REPLACE' : spec.duplicates === 'ignore' ? 'INSERT IGNORE' : 'INSERT';
    this.#head = `${verb} INTO ${spec.table.qualified} (${names.join(', ')}) VALUES `;
  }

  async write(tsv: Buffer, rows: number): Promise<void> {
    this.#sent += rows;
    const pending: Promise<void>[] = [];
    splitTsvRows(tsv, (fields) => {
      if (fields.length !== this.#spec.columns.length) {
        throw new SourceError(
          `loading ${this.#spec.table}: a row has ${fields.length} fields, expected ${this.#spec.columns.length}`,
          { facts: { expected: this.#spec.columns.length, found: fields.length } },
        );
      }
      fields.forEach(([start, end], index) => {
        if (this.#expressions[index] === '') return;
        const value = unescapeField(tsv, start, end);
        this.#values.push(value);
        this.#bytes += (value?.length ?? 0) + 8;
      });
      this.#rows++;
      if (this.#bytes >= INSERT_BATCH_BYTES || this.#rows >= this.#batchRows) pending.push(this.#flush());
    });
    for (const flush of pending) await flush;
  }

  #flush(): Promise<void> {
    if (this.#rows === 0) return Promise.resolve();
    const row = `(${this.#expressions.filter((e) => e !== '').join(', ')})`;
    const sql = this.#head + Array.from({ length: this.#rows }, () => row).join(', ');
    const values = this.#values;
    this.#values = [];
    this.#rows = 0;
    this.#bytes = 0;
    return this.#connection.query(sql, values).then(([result]) => {
      this.#landed += Number((result as { affectedRows?: number }).affectedRows ?? 0);
    });
  }

  async end(): Promise<number> {
    try {
      await this.#flush();
      await checkWarnings(this.#connection, this.#spec);
      if (this.#spec.duplicates === 'error' && this.#landed !== this.#sent) {
        throw new SourceError(
          `loading ${this.#spec.table}: the backup has ${this.#sent} rows, the server took ${this.#landed}`,
          { facts: { expected: this.#sent, found: this.#landed } },
        );
      }
      return this.#landed;
    } catch (error) {
      throw loadError(this.#spec, error);
    } finally {
      await this.#connection.end().catch(() => undefined);
    }
  }

  async abort(): Promise<void> {
    this.#connection.destroy();
  }
}

function charsetName(charset: string): string {
  if (!/^\w+$/.test(charset)) throw new SourceError(`not a character set name: ${JSON.stringify(charset)}`);
  return charset;
}

/** A load that made the server change values (truncation, bad dates) did not land the backup as it is. */
async function checkWarnings(connection: Connection, spec: TableLoadSpec): Promise<void> {
  const [rows] = await connection.query('SHOW WARNINGS LIMIT 5');
  const warnings = (rows as { Level: string; Code: number; Message: string }[]).filter(
    (w) => w.Level !== 'Note',
  );
  if (warnings.length === 0) return;
  throw new SourceError(
    `loading ${spec.table}: the server changed values while loading: ${warnings.map((w) => `${w.Code} ${w.Message}`).join('; ')}`,
    { facts: { table: spec.table.toString(), warnings } },
  );
}

function loadError(spec: TableLoadSpec, error: unknown): SourceError {
  if (error instanceof SourceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new SourceError(`loading ${spec.table} failed: ${message}`, {
    cause: error,
    facts: { table: spec.table.toString() },
  });
}
