import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { constants, zstdCompressSync } from 'node:zlib';

/** MySQL Shell writes an `.idx` offset about every MiB of uncompressed data (`k_write_idx_every`). */
const IDX_EVERY = 1024 * 1024;

/** What one data file held, for `@.done.json`. */
export interface ChunkFile {
  readonly name: string;
  readonly dataBytes: number;
}

/**
 * Splits one table's TSV rows into zstd chunk files named like MySQL Shell's:
 * `<basename>@0.tsv.zst`, …, `<basename>@@<last>.tsv.zst` (only the last has `@@`), each with its `.idx`
 * (big-endian uint64 offsets into the uncompressed data, the last one the total). A table without rows
 * gets one unchunked `<basename>.tsv.zst`, as MySQL Shell does when MIN(index) is NULL.
 */
export class ChunkWriter {
  readonly #dir: string;
  readonly #basename: string;
  readonly #bytesPerChunk: number;
  readonly #files: ChunkFile[] = [];
  #parts: Buffer[] = [];
  #bytes = 0;
  #offsets: bigint[] = [];
  #index = 0;

  constructor(dir: string, basename: string, bytesPerChunk: number) {
    this.#dir = dir;
    this.#basename = basename;
    this.#bytesPerChunk = bytesPerChunk;
  }

  async addRow(line: Buffer): Promise<void> {
    if (this.#bytes >= this.#bytesPerChunk) await this.#write(`${this.#basename}@${this.#index++}.tsv.zst`);
    this.#parts.push(line);
    const before = this.#bytes;
    this.#bytes += line.length;
    if (Math.floor(this.#bytes / IDX_EVERY) > Math.floor(before / IDX_EVERY))
      this.#offsets.push(BigInt(this.#bytes));
  }

  /** Writes the last file and returns every file written, in order. */
  async finish(): Promise<readonly ChunkFile[]> {
    const name =
      this.#files.length === 0 && this.#bytes === 0
        ? `${this.#basename}.tsv.zst`
        : `${this.#basename}@@${this.#index}.tsv.zst`;
    await this.#write(name);
    return this.#files;
  }

  async #write(name: string): Promise<void> {
    const data = Buffer.concat(this.#parts);
    const compressed = zstdCompressSync(data, { params: { [constants.ZSTD_c_compressionLevel]: 1 } });
    const offsets = [...this.#offsets.filter((o) => o < BigInt(data.length)), BigInt(data.length)];
    const idx = Buffer.alloc(8 * offsets.length);
    for (const [i, offset] of offsets.entries()) idx.writeBigUInt64BE(offset, i * 8);
    await writeFile(join(this.#dir, name), compressed);
    await writeFile(join(this.#dir, `${name}.idx`), idx);
    this.#files.push({ name, dataBytes: data.length });
    this.#parts = [];
    this.#bytes = 0;
    this.#offsets = [];
  }
}
