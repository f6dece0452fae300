import type { RowsEventShape } from './event-types.ts';
import type { TableMap } from './table-map.ts';

/** The common header of every event. */
export interface EventHeader {
  /** Seconds since the epoch when the statement started. */
  readonly timestamp: number;
  readonly type: number;
  readonly serverId: number;
  /** Whole event size, header and checksum included. */
  readonly size: number;
  /** Position of the next event in the server's file (0 for artificial events of a dump). */
  readonly nextPosition: number;
}

/** What follows the header of a decoded event. */
export type EventBody =
  | {
      readonly kind: 'format';
      readonly serverVersion: string;
      readonly flavour: 'mysql' | 'mariadb';
      readonly checksum: boolean;
    }
  | { readonly kind: 'rotate'; readonly file: string; readonly position: number }
  /** MySQL `uuid:n`, MariaDB `domain-server-seq`; `standalone` for a MariaDB DDL without BEGIN. */
  | { readonly kind: 'gtid'; readonly gtid: string | null; readonly standalone: boolean }
  | { readonly kind: 'query'; readonly schema: string; readonly statement: string }
  | { readonly kind: 'xid' }
  | { readonly kind: 'table-map'; readonly map: TableMap }
  | { readonly kind: 'rows'; readonly tableId: number; readonly shape: RowsEventShape; readonly body: Buffer }
  /** The statement that caused the rows after it (MariaDB annotate rows, MySQL rows query). */
  | { readonly kind: 'statement'; readonly statement: string }
  | { readonly kind: 'partial-update'; readonly tableId: number }
  | { readonly kind: 'transaction-payload' }
  | { readonly kind: 'stop' }
  | { readonly kind: 'other' };

/** One decoded event; rows stay undecoded until the reader knows it wants the table. */
export type BinlogEvent = { readonly header: EventHeader } & EventBody;
