import { BinlogSettingError, SourceError } from '../../errors/index.ts';
import type { BinlogEvent } from './binlog-event.ts';
import { type BinlogWindow, type TransactionPlace, WindowTracker } from './binlog-window.ts';
import { loggedTypeMatches } from './column-type.ts';
import { EventDecoder } from './event-decoder.ts';
import type { RowChangeKind } from './event-types.ts';
import type { LiveTableShape } from './live-table-shape.ts';
import { purgedStart } from './purged-start.ts';
import type { RawEvent } from './raw-event.ts';
import type { BinlogValue } from './row-image.ts';
import { decodeRowsEvent } from './rows-event.ts';
import type { TableMap } from './table-map.ts';

/** Which of the window's transactions to recover (all when left out). */
export interface TransactionFilter {
  /** Only these transactions, by GTID (MySQL `uuid:n`, MariaDB `domain-server-seq`). */
  readonly gtids?: readonly string[];
  /**
   * Only row changes whose statement matches (MariaDB `binlog_annotate_row_events`, MySQL
   * `binlog_rows_query_log_events` put it in the log; without it this filter is refused).
   */
  readonly statement?: RegExp | string;
}

/** One row change of a recovered table, where it is in the log and in which transaction. */
export interface ScannedChange {
  readonly table: LiveTableShape;
  readonly kind: RowChangeKind;
  readonly before: readonly BinlogValue[] | null;
  readonly after: readonly BinlogValue[] | null;
  readonly file: string;
  readonly position: number;
  readonly gtid: string | null;
}

export interface ScanSummary {
  readonly transactions: number;
  readonly rowChanges: number;
  readonly first: TransactionPlace | null;
  readonly last: TransactionPlace | null;
  readonly serverVersion: string | null;
}

const DDL = /^\s*(ALTER|DROP|RENAME|TRUNCATE|CREATE)\b/i;
const DML = /^\s*(INSERT|UPDATE|DELETE|REPLACE|LOAD)\b/i;

/**
 * Walks the log's events in order, groups them into transactions, keeps those in the window (and the
 * filter), and yields their row changes on the given tables. Refuses, naming the setting, what would
 * make the recovered rows inexact: statement-logged changes, partial JSON updates, compressed
 * transaction payloads, and a table whose definition changed in or after the window.
 */
export class BinlogScan {
  readonly #tables: ReadonlyMap<string, LiveTableShape>;
  readonly #window: WindowTracker;
  readonly #windowBounds: BinlogWindow;
  readonly #filter: TransactionFilter;
  readonly #decoder = new EventDecoder();
  readonly #maps = new Map<number, TableMap>();
  readonly #checked = new Set<number>();
  #place: TransactionPlace | null = null;
  #inWindow = false;
  #statement: string | null = null;
  #transactions = 0;
  #rowChanges = 0;
  #first: TransactionPlace | null = null;
  #last: TransactionPlace | null = null;
  #serverVersion: string | null = null;
  #seenAny = false;

  constructor(tables: readonly LiveTableShape[], window: BinlogWindow, filter: TransactionFilter = {}) {
    this.#tables = new Map(tables.map((t) => [`${t.schema}.${t.table}`, t]));
    this.#window = new WindowTracker(window);
    this.#windowBounds = window;
    this.#filter = filter;
  }

  get summary(): ScanSummary {
    return Object.freeze({
      transactions: this.#transactions,
      rowChanges: this.#rowChanges,
      first: this.#first,
      last: this.#last,
      serverVersion: this.#serverVersion,
    });
  }

  get started(): boolean {
    return this.#window.started;
  }

  async *changes(events: AsyncIterable<RawEvent>): AsyncGenerator<ScannedChange> {
    for await (const raw of events) {
      const event = this.#decoder.decode(raw.bytes);
      if (event.kind === 'format') this.#serverVersion = event.serverVersion;
      yield* this.#event(event, raw);
      if (this.#window.done && this.#place === null) return;
    }
  }

  *#event(event: BinlogEvent, raw: RawEvent): Generator<ScannedChange> {
    switch (event.kind) {
      case 'gtid':
        this.#begin({
          file: raw.file,
          position: raw.position,
          timestamp: event.header.timestamp,
          gtid: event.gtid,
        });
        return;
      case 'query': {
        const statement = event.statement.trim();
        const word = statement.slice(0, 10).toUpperCase();
        if (word.startsWith('BEGIN') || word.startsWith('XA START')) {
          if (!this.#place)
            this.#begin({
              file: raw.file,
              position: raw.position,
              timestamp: event.header.timestamp,
              gtid: null,
            });
          return;
        }
        if (word.startsWith('COMMIT') || word.startsWith('ROLLBACK') || word.startsWith('XA ')) {
          this.#end();
          return;
        }
        if (!this.#place)
          this.#begin({
            file: raw.file,
            position: raw.position,
            timestamp: event.header.timestamp,
            gtid: null,
          });
        if (this.#inWindow) this.#checkStatement(statement, event.schema);
        // DDL commits on its own: a query outside BEGIN…COMMIT is a transaction by itself.
        if (DDL.test(statement)) this.#end();
        return;
      }
      case 'xid':
        this.#end();
        return;
      case 'table-map':
        this.#maps.set(event.map.tableId, event.map);
        this.#checked.delete(event.map.tableId);
        return;
      case 'statement':
        this.#statement = event.statement;
        return;
      case 'rows': {
        if (!this.#inWindow) return;
        const map = this.#maps.get(event.tableId);
        const table = map && this.#tables.get(`${map.schema}.${map.table}`);
        if (!map || !table) return;
        if (!this.#statementMatches(map)) return;
        this.#checkDefinition(event.tableId, map, table);
        const unsigned = map.unsigned ?? table.columns.map((c) => c.unsigned);
        for (const row of decodeRowsEvent(
          event.body,
          event.shape,
          map,
          unsigned,
          this.#decoder.tableIdSize,
        )) {
          this.#rowChanges++;
          yield { table, ...row, file: raw.file, position: raw.position, gtid: this.#place?.gtid ?? null };
        }
        return;
      }
      case 'partial-update': {
        const map = this.#maps.get(event.tableId);
        if (this.#inWindow && map && this.#tables.has(`${map.schema}.${map.table}`)) {
          throw new BinlogSettingError({
            setting: 'binlog_row_value_options',
            expected: "'' (full JSON images)",
            found: 'PARTIAL_JSON',
            what: `an update of ${map.schema}.${map.table} at ${raw.file}:${raw.position} logs only the changed parts of its JSON`,
            fix: "SET GLOBAL binlog_row_value_options = '' for the future; this window cannot be recovered from the log",
          });
        }
        return;
      }
      case 'transaction-payload':
        // The whole transaction (after its GTID event) is inside: its tables cannot be known undecoded.
        if (this.#inWindow) {
          throw new BinlogSettingError({
            setting: 'binlog_transaction_compression',
            expected: 'OFF',
            found: 'ON',
            what: `the transaction at ${raw.file}:${raw.position} is a compressed payload`,
            fix: 'rowback does not decompress MySQL transaction payloads yet; decompress the files with mysqlbinlog, or SET GLOBAL binlog_transaction_compression = OFF for the future',
          });
        }
        return;
      default:
        return;
    }
  }

  #begin(place: TransactionPlace): void {
    this.#place = place;
    this.#statement = null;
    const first = !this.#seenAny;
    this.#seenAny = true;
    this.#inWindow = this.#window.admit(place) && this.#gtidMatches(place.gtid);
    if (first && this.#window.started && 'time' in this.#windowBounds.start) {
      // Nothing before the window is in the log: its start may have been purged, and the log cannot tell.
      throw purgedStart(
        `the first transaction in the log (${place.file}:${place.position}) is already inside the window starting at ${String(this.#windowBounds.start.time)}`,
      );
    }
    if (this.#inWindow) {
      this.#transactions++;
      this.#first ??= place;
      this.#last = place;
    }
  }

  #end(): void {
    this.#place = null;
    this.#inWindow = false;
    this.#statement = null;
  }

  #gtidMatches(gtid: string | null): boolean {
    const wanted = this.#filter.gtids;
    return !wanted || (gtid !== null && wanted.includes(gtid));
  }

  #statementMatches(map: TableMap): boolean {
    const wanted = this.#filter.statement;
    if (wanted === undefined) return true;
    if (this.#statement === null) {
      throw new BinlogSettingError({
        setting:
          this.#decoder.flavour === 'mariadb' ? 'binlog_annotate_row_events' : 'binlog_rows_query_log_events',
        expected: 'ON',
        found: 'OFF',
        what: `the rows of ${map.schema}.${map.table} in transaction ${this.#place?.gtid ?? '(no GTID)'} carry no statement, so a statement filter cannot select them`,
        fix: 'select the transactions by GTID or by a narrower window instead, and turn the setting ON for the future',
      });
    }
    return typeof wanted === 'string' ? this.#statement.includes(wanted) : wanted.test(this.#statement);
  }

  /** A statement-logged change or a DDL on a recovered table, inside the window. */
  #checkStatement(statement: string, schema: string): void {
    const altered = DDL.test(statement) ? ddlTargets(statement, schema) : [];
    for (const table of this.#tables.values()) {
      const where = `${this.#place?.file}:${this.#place?.position}: ${statement.slice(0, 120)}`;
      if (altered.includes(`${table.schema}.${table.table}`)) {
        throw new SourceError(
          `the definition of ${table.schema}.${table.table} changed inside the window (${where})`,
          {
            hint: 'rows before and after the change do not have one shape; split the window at the DDL, or restore from a dump',
          },
        );
      }
      const named = new RegExp(
        `(^|[\\s.\`(,])${table.table.replace(/[^A-Za-z0-9_$]/g, '\\$&')}([\`\\s(,;]|$)`,
        'i',
      );
      // Conservative: a logged DML statement that names the table at all means its rows are not all in the log.
      if (DML.test(statement) && named.test(statement)) {
        throw new BinlogSettingError({
          setting: 'binlog_format',
          expected: 'ROW',
          found: 'STATEMENT (or MIXED)',
          what: `${table.schema}.${table.table} was changed by a logged statement, not rows, at ${where}`,
          fix: 'SET GLOBAL binlog_format = ROW for the future; this window cannot be recovered from the log',
        });
      }
    }
  }

  /** The logged columns must be the live table's: same count, same types. */
  #checkDefinition(tableId: number, map: TableMap, table: LiveTableShape): void {
    if (this.#checked.has(tableId)) return;
    const differs =
      map.columns.length !== table.columns.length ||
      map.columns.some((c, i) => !loggedTypeMatches(c.type, table.columns[i]!.dataType)) ||
      map.columnNames?.some((n, i) => n !== table.columns[i]!.name) === true;
    if (differs) {
      throw new SourceError(
        `the definition of ${table.schema}.${table.table} changed since the window: the log has ${map.columns.length} columns of types [${map.columns.map((c) => c.type).join(', ')}], the live table ${table.columns.length} (${table.columns.map((c) => c.dataType).join(', ')})`,
        {
          hint: 'rowback lands the log rows in the live definition; recover from the log only while the table is unchanged, or restore from a dump',
        },
      );
    }
    this.#checked.add(tableId);
  }
}

const IDENTIFIER = /^\s*((?:`[^`]+`|[\w$]+)(?:\.(?:`[^`]+`|[\w$]+))?)/;
const DDL_HEAD =
  /^\s*(ALTER|DROP|TRUNCATE|CREATE|RENAME)\s+(?:(?:ONLINE|IGNORE|TEMPORARY|OR\s+REPLACE)\s+)*(?:TABLES?\s+)?(?:IF\s+(?:NOT\s+)?EXISTS\s+)?([\s\S]*)$/i;

/**
 * The tables a DDL statement defines or removes, as `schema.table` (the statement's default schema
 * for unqualified names): the first name of ALTER/CREATE/TRUNCATE (not the source of `CREATE … LIKE`),
 * every name of DROP and RENAME.
 */
export function ddlTargets(statement: string, schema: string): string[] {
  const head = DDL_HEAD.exec(statement);
  if (!head) return [];
  const verb = head[1]!.toUpperCase();
  const qualify = (name: string) => {
    const parts = name.split('.').map((p) => p.replace(/^`|`$/g, ''));
    return parts.length === 2 ? `${parts[0]}.${parts[1]}` : `${schema}.${parts[0]}`;
  };
  const first = (text: string) => {
    const match = IDENTIFIER.exec(text);
    return match ? [qualify(match[1]!)] : [];
  };
  if (verb === 'DROP') return head[2]!.split(',').flatMap(first);
  if (verb === 'RENAME') return head[2]!.split(/,|\bTO\b/i).flatMap(first);
  return first(head[2]!);
}
