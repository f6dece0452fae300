/** Binlog event type codes used by MySQL 8.x and MariaDB 10.x (both servers' `log_event.h`). */
export const EventType = Object.freeze({
  QUERY: 2,
  STOP: 3,
  ROTATE: 4,
  FORMAT_DESCRIPTION: 15,
  XID: 16,
  TABLE_MAP: 19,
  WRITE_ROWS_V1: 23,
  UPDATE_ROWS_V1: 24,
  DELETE_ROWS_V1: 25,
  HEARTBEAT: 27,
  ROWS_QUERY: 29,
  WRITE_ROWS_V2: 30,
  UPDATE_ROWS_V2: 31,
  DELETE_ROWS_V2: 32,
  GTID: 33,
  ANONYMOUS_GTID: 34,
  PREVIOUS_GTIDS: 35,
  PARTIAL_UPDATE_ROWS: 39,
  TRANSACTION_PAYLOAD: 40,
  HEARTBEAT_V2: 41,
  MARIADB_ANNOTATE_ROWS: 160,
  MARIADB_BINLOG_CHECKPOINT: 161,
  MARIADB_GTID: 162,
  MARIADB_GTID_LIST: 163,
  MARIADB_START_ENCRYPTION: 164,
  MARIADB_QUERY_COMPRESSED: 165,
  MARIADB_WRITE_ROWS_COMPRESSED_V1: 166,
  MARIADB_UPDATE_ROWS_COMPRESSED_V1: 167,
  MARIADB_DELETE_ROWS_COMPRESSED_V1: 168,
  MARIADB_WRITE_ROWS_COMPRESSED_V2: 169,
  MARIADB_UPDATE_ROWS_COMPRESSED_V2: 170,
  MARIADB_DELETE_ROWS_COMPRESSED_V2: 171,
});

export type RowChangeKind = 'insert' | 'update' | 'delete';

export interface RowsEventShape {
  readonly kind: RowChangeKind;
  /** v2 events carry a variable "extra data" block after the fixed post-header. */
  readonly v2: boolean;
  /** MariaDB compressed rows events: the row data after the bitmaps is zlib-compressed. */
  readonly compressed: boolean;
}

const ROWS_EVENTS: ReadonlyMap<number, RowsEventShape> = new Map([
  [EventType.WRITE_ROWS_V1, { kind: 'insert', v2: false, compressed: false }],
  [EventType.UPDATE_ROWS_V1, { kind: 'update', v2: false, compressed: false }],
  [EventType.DELETE_ROWS_V1, { kind: 'delete', v2: false, compressed: false }],
  [EventType.WRITE_ROWS_V2, { kind: 'insert', v2: true, compressed: false }],
  [EventType.UPDATE_ROWS_V2, { kind: 'update', v2: true, compressed: false }],
  [EventType.DELETE_ROWS_V2, { kind: 'delete', v2: true, compressed: false }],
  [EventType.MARIADB_WRITE_ROWS_COMPRESSED_V2, { kind: 'insert', v2: true, compressed: true }],
  [EventType.MARIADB_UPDATE_ROWS_COMPRESSED_V2, { kind: 'update', v2: true, compressed: true }],
  [EventType.MARIADB_DELETE_ROWS_COMPRESSED_V2, { kind: 'delete', v2: true, compressed: true }],
  [EventType.MARIADB_WRITE_ROWS_COMPRESSED_V1, { kind: 'insert', v2: false, compressed: true }],
  [EventType.MARIADB_UPDATE_ROWS_COMPRESSED_V1, { kind: 'update', v2: false, compressed: true }],
  [EventType.MARIADB_DELETE_ROWS_COMPRESSED_V1, { kind: 'delete', v2: false, compressed: true }],
]);

/** The shape of a rows event type, or undefined for any other event. */
export function rowsEventShape(type: number): RowsEventShape | undefined {
  return ROWS_EVENTS.get(type);
}
