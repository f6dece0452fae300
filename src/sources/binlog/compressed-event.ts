import { inflateSync } from 'node:zlib';
import { SourceError } from '../../errors/index.ts';

/**
 * MariaDB's compressed binlog payload (`log_bin_compress=ON`): one header byte (0x80 | algorithm << 4 |
 * size of the length), the uncompressed length big-endian, then a zlib stream. Algorithm 0 (zlib) is the
 * only one MariaDB writes.
 */
export function uncompressMariadb(data: Buffer): Buffer {
  const header = data[0] ?? 0;
  const lengthBytes = header & 0x07;
  if ((header & 0xf0) !== 0x80 || lengthBytes < 1 || lengthBytes > 4) {
    throw new SourceError(
      `compressed binlog event has an unknown header byte 0x${header.toString(16)} (expected 0x81..0x84, zlib)`,
      { hint: 'the file is corrupt, or from a MariaDB version rowback does not know' },
    );
  }
  const expected = data.readUIntBE(1, lengthBytes);
  const out = inflateSync(data.subarray(1 + lengthBytes));
  if (out.length !== expected) {
    throw new SourceError(
      `compressed binlog event inflates to ${out.length} bytes, its header says ${expected}`,
      { hint: 'the file is corrupt or truncated' },
    );
  }
  return out;
}
