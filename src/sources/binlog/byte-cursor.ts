import { SourceError } from '../../errors/index.ts';

/**
 * Reads the little-endian integers, packed lengths and strings of a binlog event body, refusing to read
 * past its end: a truncated event is a SourceError, never a value made of the next event's bytes.
 */
export class ByteCursor {
  readonly #buffer: Buffer;
  readonly #end: number;
  #offset: number;

  constructor(buffer: Buffer, offset = 0, end = buffer.length) {
    this.#buffer = buffer;
    this.#offset = offset;
    this.#end = end;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  #take(length: number): number {
    if (length > this.remaining) {
      throw new SourceError(
        `binlog event ends early: expected ${length} more byte(s) at offset ${this.#offset}, found ${this.remaining}`,
        { hint: 'the file is truncated or not a binary log; copy it again from the server' },
      );
    }
    const at = this.#offset;
    this.#offset += length;
    return at;
  }

  skip(length: number): void {
    this.#take(length);
  }

  uint8(): number {
    return this.#buffer[this.#take(1)]!;
  }

  uint16(): number {
    return this.#buffer.readUInt16LE(this.#take(2));
  }

  uint24(): number {
    return this.#buffer.readUIntLE(this.#take(3), 3);
  }

  uint32(): number {
    return this.#buffer.readUInt32LE(this.#take(4));
  }

  /** Up to 6 bytes little-endian, as a number (table ids, positions). */
  uintLE(length: number): number {
    return length === 0 ? 0 : this.#buffer.readUIntLE(this.#take(length), length);
  }

  uint64(): bigint {
    return this.#buffer.readBigUInt64LE(this.#take(8));
  }

  /** The protocol's length-encoded integer (1, 3, 4 or 9 bytes). */
  packedInt(): number {
    const first = this.uint8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.uint16();
    if (first === 0xfd) return this.uint24();
    if (first === 0xfe) return Number(this.uint64());
    throw new SourceError(`binlog event holds an invalid packed integer (0x${first.toString(16)})`, {
      hint: 'the file is corrupt or not a binary log',
    });
  }

  bytes(length: number): Buffer {
    const at = this.#take(length);
    return this.#buffer.subarray(at, at + length);
  }

  /** The rest of the body (up to the end given to the constructor). */
  rest(): Buffer {
    return this.bytes(this.remaining);
  }

  text(length: number): string {
    return this.bytes(length).toString('utf8');
  }
}
