import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import { createConnection } from 'mysql2';
import { poolOptions, type Target } from '../../db/index.ts';
import { BinlogSettingError, SourceError } from '../../errors/index.ts';
import { EventDecoder } from './event-decoder.ts';
import { EventType } from './event-types.ts';
import type { RawEvent } from './raw-event.ts';

const COM_BINLOG_DUMP = 0x12;
const BINLOG_DUMP_NON_BLOCK = 0x01;
/** MariaDB: also send ANNOTATE_ROWS events (the statements), which a plain dump leaves out. */
const BINLOG_SEND_ANNOTATE_ROWS_EVENT = 0x02;
/** MariaDB: this replica understands GTID events (MARIA_SLAVE_CAPABILITY_GTID); else they become BEGINs. */
const MARIADB_CAPABILITY_GTID = 4;
/** Events queued before the socket is paused: memory stays bounded while the landing catches up. */
const HIGH_WATER = 256;

/** The server's binary logs, oldest first, as SHOW BINARY LOGS lists them. */
export async function serverBinlogFiles(server: Target): Promise<string[]> {
  const [enabled] = await queryRows(server, 'SELECT @@GLOBAL.log_bin AS on_');
  if (Number(enabled?.on_) !== 1) {
    throw new BinlogSettingError({
      setting: 'log_bin',
      expected: 'ON',
      found: 'OFF',
      what: `server ${server.description} keeps no binary log`,
      fix: 'start the server with log-bin (and binlog_format=ROW, binlog_row_image=FULL), or read binlog files from a backup with { files: [...] }',
    });
  }
  try {
    const rows = await queryRows(server, 'SHOW BINARY LOGS');
    return rows.map((r) => String(r.Log_name));
  } catch (cause) {
    throw new SourceError(`server ${server.description} refused SHOW BINARY LOGS`, {
      cause,
      hint:
        server.server.flavour === 'mariadb'
          ? 'grant the user BINLOG MONITOR and REPLICATION SLAVE (GRANT BINLOG MONITOR, REPLICATION SLAVE ON *.* TO …)'
          : 'grant the user REPLICATION CLIENT and REPLICATION SLAVE (GRANT REPLICATION CLIENT, REPLICATION SLAVE ON *.* TO …)',
    });
  }
}

async function queryRows(server: Target, text: string): Promise<Record<string, unknown>[]> {
  const result = await sql.raw<Record<string, unknown>>(text).execute(server.db);
  return result.rows;
}

/**
 * The server's binlog events from `file`/`position` to the end of the log, read as a replica does
 * (COM_BINLOG_DUMP with its own `server_id`, non-blocking: the server ends the stream at the end of
 * its last file). Stop early by leaving the loop: the connection is closed at once.
 */
export async function* serverBinlogEvents(
  server: Target,
  start: { readonly file: string; readonly position: number },
  options: { readonly serverId?: number } = {},
): AsyncGenerator<RawEvent> {
  const { connectionLimit: _limit, ...connectionOptions } = poolOptions(server.options);
  const connection = createConnection({ ...connectionOptions, maxPreparedStatements: 1 });
  const query = (text: string) =>
    new Promise<void>((resolve, reject) => connection.query(text, (e) => (e ? reject(e) : resolve())));
  const queue: Buffer[] = [];
  const signals = new EventEmitter();
  let ended = false;
  let failure: unknown = null;
  let paused = false;
  try {
    // Without these the server sends events without checksums' announcement (MySQL refuses a replica
    // that does not acknowledge binlog_checksum) and MariaDB rewrites GTID events as BEGIN queries.
    const [checksum] = await queryRows(server, 'SELECT @@GLOBAL.binlog_checksum AS alg');
    const trailer = String(checksum?.alg ?? 'NONE').toUpperCase() === 'NONE' ? 0 : 4;
    await query('SET @master_binlog_checksum = @@GLOBAL.binlog_checksum');
    if (server.server.flavour === 'mariadb') {
      await query(`SET @mariadb_slave_capability = ${MARIADB_CAPABILITY_GTID}`);
    }
    const flags =
      BINLOG_DUMP_NON_BLOCK | (server.server.flavour === 'mariadb' ? BINLOG_SEND_ANNOTATE_ROWS_EVENT : 0);
    const command = new BinlogDumpCommand(
      dumpPacket(start.file, start.position, flags, options.serverId ?? replicaServerId()),
      (bytes) => {
        queue.push(bytes);
        if (queue.length >= HIGH_WATER && !paused) {
          paused = true;
          connection.pause();
        }
        signals.emit('data');
      },
      (error) => {
        failure = error;
        ended = true;
        signals.emit('data');
      },
      () => {
        ended = true;
        signals.emit('data');
      },
    );
    (connection as unknown as { addCommand(command: unknown): void }).addCommand(command);
    let file = start.file;
    for (;;) {
      const bytes = queue.shift();
      if (!bytes) {
        if (failure) throw dumpError(failure, server, start);
        if (ended) return;
        if (paused) {
          paused = false;
          connection.resume();
        }
        await new Promise((resolve) => signals.once('data', resolve));
        continue;
      }
      const header = EventDecoder.header(bytes);
      // The dump starts with an artificial ROTATE naming the file; real ones end each file.
      if (header.type === EventType.ROTATE) {
        yield { file, position: Math.max(0, header.nextPosition - header.size), bytes };
        file = bytes.toString('utf8', 19 + 8, bytes.length - trailer);
        continue;
      }
      yield { file, position: Math.max(0, header.nextPosition - header.size), bytes };
    }
  } finally {
    connection.destroy();
    (connection as unknown as { stream?: { destroy(): void } }).stream?.destroy();
  }
}

function replicaServerId(): number {
  // High and random: a replica id must not equal the server's or another replica's.
  return 0x70000000 + Math.floor(Math.random() * 0x0fffffff);
}

function dumpPacket(file: string, position: number, flags: number, serverId: number): Buffer {
  const name = Buffer.from(file, 'utf8');
  const packet = Buffer.alloc(4 + 11 + name.length);
  packet[4] = COM_BINLOG_DUMP;
  packet.writeUInt32LE(position, 5);
  packet.writeUInt16LE(flags, 9);
  packet.writeUInt32LE(serverId, 11);
  name.copy(packet, 15);
  return packet;
}

function dumpError(error: unknown, server: Target, start: { file: string; position: number }): Error {
  const e = error as { errno?: number; message?: string };
  if (e.errno === 1236) {
    return new BinlogSettingError(
      {
        setting:
          server.server.flavour === 'mariadb'
            ? 'expire_logs_days / binlog_expire_logs_seconds'
            : 'binlog_expire_logs_seconds',
        expected: 'the window still in the log',
        found: `the server cannot send ${start.file} at ${start.position}: ${e.message ?? ''}`,
        what: 'the start of the window is no longer in the binary log (purged)',
        fix: 'restore the purged binlog files from a backup and read them with { files: [...] }',
      },
      error,
    );
  }
  if (e.errno === 1227 || e.errno === 1045) {
    return new SourceError(`server ${server.description} refused the binlog dump: ${e.message ?? ''}`, {
      cause: error,
      hint: 'rowback reads the log as a replica: GRANT REPLICATION SLAVE ON *.* TO the user',
    });
  }
  return new SourceError(
    `reading the binary log of ${server.description} failed: ${e.message ?? String(error)}`,
    {
      cause: error,
    },
  );
}

interface MysqlPacket {
  readonly buffer: Buffer;
  readonly offset: number;
  readonly end: number;
  isEOF(): boolean;
  isError(): boolean;
  asError(encoding: string): Error;
}

interface MysqlConnectionInternals {
  readonly clientEncoding: string;
  _resetSequenceId(): void;
  writePacket(packet: { buffer: Buffer; length(): number; writeHeader(sequence: number): void }): void;
}

/**
 * A mysql2 command (the connection's own protocol state machine drives it) that sends COM_BINLOG_DUMP
 * and hands every event's bytes on undecoded: mysql2's own binlog command decodes only four event
 * types and drops the bytes of all others.
 */
class BinlogDumpCommand extends EventEmitter {
  readonly #packet: Buffer;
  readonly #onEvent: (bytes: Buffer) => void;
  readonly #onError: (error: unknown) => void;
  readonly #onEnd: () => void;
  #started = false;

  constructor(
    packet: Buffer,
    onEvent: (bytes: Buffer) => void,
    onError: (error: unknown) => void,
    onEnd: () => void,
  ) {
    super();
    this.#packet = packet;
    this.#onEvent = onEvent;
    this.#onError = onError;
    this.#onEnd = onEnd;
  }

  /** mysql2 calls this with null to start the command, then with every packet the server sends. */
  execute(packet: MysqlPacket | null, connection: MysqlConnectionInternals): boolean {
    if (!this.#started) {
      this.#started = true;
      connection._resetSequenceId();
      const buffer = this.#packet;
      connection.writePacket({
        buffer,
        length: () => buffer.length - 4,
        writeHeader: (sequence) => {
          buffer.writeUIntLE(buffer.length - 4, 0, 3);
          buffer[3] = sequence;
        },
      });
      return false;
    }
    if (!packet) return false;
    if (packet.isError()) {
      this.#onError(packet.asError(connection.clientEncoding));
      this.emit('end');
      return true;
    }
    if (packet.isEOF()) {
      this.#onEnd();
      this.emit('end');
      return true;
    }
    // Each packet is an OK byte (0x00) and one whole event; mysql2 joins packets past 16 MB.
    this.#onEvent(Buffer.from(packet.buffer.subarray(packet.offset + 1, packet.end)));
    return false;
  }
}
