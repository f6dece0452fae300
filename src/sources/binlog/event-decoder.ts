import { crc32 } from 'node:zlib';
import { SourceError } from '../../errors/index.ts';
import type { BinlogEvent, EventBody, EventHeader } from './binlog-event.ts';
import { ByteCursor } from './byte-cursor.ts';
import { uncompressMariadb } from './compressed-event.ts';
import { EventType, rowsEventShape } from './event-types.ts';
import { decodeTableMap } from './table-map.ts';

export const HEADER_SIZE = 19;
const CHECKSUM_CRC32 = 1;

/**
 * Decodes events one at a time, in log order: the FORMAT_DESCRIPTION event says whether events carry
 * a CRC32 (checked on every event; a mismatch is a SourceError) and how wide table ids are.
 */
export class EventDecoder {
  #checksum = false;
  #tableIdSize = 6;
  #flavour: 'mysql' | 'mariadb' = 'mysql';

  get flavour(): 'mysql' | 'mariadb' {
    return this.#flavour;
  }

  get tableIdSize(): number {
    return this.#tableIdSize;
  }

  /** The header of a raw event (its first 19 bytes). */
  static header(raw: Buffer): EventHeader {
    if (raw.length < HEADER_SIZE) {
      throw new SourceError(`binlog event of ${raw.length} bytes is shorter than its 19-byte header`, {
        hint: 'the file is truncated or not a binary log',
      });
    }
    return Object.freeze({
      timestamp: raw.readUInt32LE(0),
      type: raw[4]!,
      serverId: raw.readUInt32LE(5),
      size: raw.readUInt32LE(9),
      nextPosition: raw.readUInt32LE(13),
    });
  }

  decode(raw: Buffer): BinlogEvent {
    const header = EventDecoder.header(raw);
    if (header.type === EventType.FORMAT_DESCRIPTION) return this.#format(header, raw);
    let end = raw.length;
    if (this.#checksum) {
      end -= 4;
      const expected = raw.readUInt32LE(end);
      const found = crc32(raw.subarray(0, end));
      if (expected !== found) {
        throw new SourceError(
          `binlog event at ${header.nextPosition - header.size} fails its CRC32 check (expected ${expected.toString(16)}, computed ${found.toString(16)})`,
          { hint: 'the file is corrupt; copy it again from the server' },
        );
      }
    }
    const body = raw.subarray(HEADER_SIZE, end);
    return Object.freeze({ header, ...this.#body(header, body) }) as BinlogEvent;
  }

  #format(header: EventHeader, raw: Buffer): BinlogEvent {
    const cursor = new ByteCursor(raw, HEADER_SIZE);
    const binlogVersion = cursor.uint16();
    const serverVersion = cursor.bytes(50).toString('latin1').replace(/\0.*$/s, '');
    if (binlogVersion !== 4) {
      throw new SourceError(
        `binlog format version ${binlogVersion} (server ${serverVersion}) is not supported`,
        {
          hint: 'rowback reads binlog format 4 (MySQL 5.0 and later, MariaDB)',
        },
      );
    }
    cursor.skip(4); // created
    cursor.skip(1); // header length, always 19 in format 4
    const postHeaders = cursor.rest();
    // Every server that can checksum (MySQL 5.6.1+, MariaDB 5.3+) ends this event with the algorithm
    // byte and a 4-byte checksum, whatever binlog_checksum says.
    this.#flavour = /mariadb/i.test(serverVersion) ? 'mariadb' : 'mysql';
    const algorithm = postHeaders[postHeaders.length - 5] ?? 0;
    this.#checksum = algorithm === CHECKSUM_CRC32;
    if (this.#checksum) {
      const end = raw.length - 4;
      // MySQL sets LOG_EVENT_BINLOG_IN_USE_F in the file while it writes it, after checksumming.
      const written = Buffer.from(raw.subarray(0, end));
      written.writeUInt16LE(written.readUInt16LE(17) & ~1, 17);
      const expected = raw.readUInt32LE(end);
      if (expected !== crc32(written) && expected !== crc32(raw.subarray(0, end))) {
        throw new SourceError('the binlog FORMAT_DESCRIPTION event fails its CRC32 check', {
          hint: 'the file is corrupt; copy it again from the server',
        });
      }
    }
    // Post-header length of TABLE_MAP: 6 means the old 4-byte table ids (MySQL 5.1.3 and older).
    this.#tableIdSize = postHeaders[EventType.TABLE_MAP - 1] === 6 ? 4 : 6;
    return Object.freeze({
      header,
      kind: 'format',
      serverVersion,
      flavour: this.#flavour,
      checksum: this.#checksum,
    });
  }

  #body(header: EventHeader, body: Buffer): EventBody {
    const shape = rowsEventShape(header.type);
    if (shape) return { kind: 'rows', tableId: new ByteCursor(body).uintLE(this.#tableIdSize), shape, body };
    const cursor = new ByteCursor(body);
    switch (header.type) {
      case EventType.TABLE_MAP:
        return { kind: 'table-map', map: decodeTableMap(body, this.#tableIdSize) };
      case EventType.QUERY:
      case EventType.MARIADB_QUERY_COMPRESSED: {
        cursor.skip(8);
        const schemaLength = cursor.uint8();
        cursor.skip(2);
        const statusLength = cursor.uint16();
        cursor.skip(statusLength);
        const schema = cursor.text(schemaLength);
        cursor.skip(1);
        const text = cursor.rest();
        const statement = (
          header.type === EventType.MARIADB_QUERY_COMPRESSED ? uncompressMariadb(text) : text
        ).toString('utf8');
        return { kind: 'query', schema, statement };
      }
      case EventType.XID:
        return { kind: 'xid' };
      case EventType.ROTATE: {
        const position = Number(cursor.uint64());
        return { kind: 'rotate', position, file: cursor.rest().toString('utf8') };
      }
      case EventType.GTID: {
        cursor.skip(1);
        const sid = cursor.bytes(16).toString('hex');
        const uuid = `${sid.slice(0, 8)}-${sid.slice(8, 12)}-${sid.slice(12, 16)}-${sid.slice(16, 20)}-${sid.slice(20)}`;
        return { kind: 'gtid', gtid: `${uuid}:${cursor.uint64()}`, standalone: false };
      }
      case EventType.ANONYMOUS_GTID:
        return { kind: 'gtid', gtid: null, standalone: false };
      case EventType.MARIADB_GTID: {
        const sequence = cursor.uint64();
        const domain = cursor.uint32();
        const flags = cursor.uint8();
        return {
          kind: 'gtid',
          gtid: `${domain}-${header.serverId}-${sequence}`,
          standalone: (flags & 1) !== 0,
        };
      }
      case EventType.MARIADB_ANNOTATE_ROWS:
        return { kind: 'statement', statement: body.toString('utf8') };
      case EventType.ROWS_QUERY:
        cursor.skip(1); // a length byte that overflows for statements past 255 bytes: the rest is the text
        return { kind: 'statement', statement: cursor.rest().toString('utf8') };
      case EventType.PARTIAL_UPDATE_ROWS:
        return { kind: 'partial-update', tableId: cursor.uintLE(this.#tableIdSize) };
      case EventType.TRANSACTION_PAYLOAD:
        return { kind: 'transaction-payload' };
      case EventType.MARIADB_START_ENCRYPTION:
        throw new SourceError('the binary log is encrypted (MariaDB encrypt_binlog=ON)', {
          hint: 'read it from the server (the replication protocol decrypts), not from the files',
        });
      case EventType.STOP:
        return { kind: 'stop' };
      default:
        return { kind: 'other' };
    }
  }
}
