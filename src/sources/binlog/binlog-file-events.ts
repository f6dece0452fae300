import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { SourceError } from '../../errors/index.ts';
import { EventDecoder, HEADER_SIZE } from './event-decoder.ts';
import type { RawEvent } from './raw-event.ts';

const MAGIC = Buffer.from([0xfe, 0x62, 0x69, 0x6e]);
const CHUNK = 1 << 20;

/**
 * The events of binlog files on disk, in the order given, read in 1 MB chunks (memory stays at the
 * chunk plus the largest event). A file that does not start with the binlog magic, or ends inside an
 * event, is a SourceError naming it.
 */
export async function* binlogFileEvents(
  files: readonly string[],
  startPosition = 4,
): AsyncGenerator<RawEvent> {
  for (const [index, path] of files.entries()) {
    const name = basename(path);
    const handle = await open(path, 'r').catch((cause: unknown) => {
      throw new SourceError(`cannot open binlog file ${path}`, {
        cause,
        hint: 'check the path and its permissions',
      });
    });
    try {
      const magic = Buffer.alloc(4);
      const { bytesRead } = await handle.read(magic, 0, 4, 0);
      if (bytesRead < 4 || !magic.equals(MAGIC)) {
        throw new SourceError(`${path} is not a binary log: it does not start with the binlog magic bytes`, {
          hint: 'pass the binlog files themselves (e.g. binlog.000042), not the index or a mysqlbinlog text dump',
        });
      }
      // The start position applies to the first file only; every later file is read whole. Its first
      // event (FORMAT_DESCRIPTION) is always read so checksums and table id sizes are known.
      const skipTo = index === 0 ? startPosition : 4;
      let position = 4;
      let carry = Buffer.alloc(0);
      let fileOffset = 4;
      let first = true;
      for (;;) {
        const chunk = Buffer.allocUnsafe(CHUNK);
        const read = await handle.read(chunk, 0, CHUNK, fileOffset);
        fileOffset += read.bytesRead;
        const data = carry.length
          ? Buffer.concat([carry, chunk.subarray(0, read.bytesRead)])
          : chunk.subarray(0, read.bytesRead);
        let at = 0;
        while (data.length - at >= HEADER_SIZE) {
          const size = EventDecoder.header(data.subarray(at, at + HEADER_SIZE)).size;
          if (size < HEADER_SIZE) {
            throw new SourceError(`${path}: event at ${position} claims a size of ${size} bytes`, {
              hint: 'the file is corrupt or not a binary log',
            });
          }
          if (data.length - at < size) break;
          if (first || position >= skipTo) {
            yield { file: name, position, bytes: Buffer.from(data.subarray(at, at + size)) };
          }
          first = false;
          at += size;
          position += size;
        }
        carry = Buffer.from(data.subarray(at));
        if (read.bytesRead === 0) break;
      }
      if (carry.length > 0) {
        throw new SourceError(
          `${path} ends inside an event: ${carry.length} byte(s) after position ${position} do not make a whole event`,
          { hint: 'the file is truncated (copied while the server wrote it?); copy it again' },
        );
      }
    } finally {
      await handle.close();
    }
  }
}
