import { createReadStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SourceError } from '../errors/index.ts';
import type { DumpStorage } from './dump-storage.ts';

const READ_CHUNK = 1 << 20;

/** A MySQL Shell dump in a local directory (or a mounted volume). */
export function dirDumpStorage(dir: string): DumpStorage {
  const where = (file: string) => join(dir, file);
  return Object.freeze({
    location: dir,
    where,
    async list() {
      try {
        return new Set(await readdir(dir));
      } catch (cause) {
        throw new SourceError(`${dir}: cannot list the dump directory (${(cause as Error).message})`, {
          cause,
          facts: { dir },
          hint: 'is this a MySQL Shell dump directory?',
        });
      }
    },
    async read(file: string) {
      try {
        return await readFile(where(file));
      } catch (cause) {
        if ((cause as { code?: string }).code === 'ENOENT') return null;
        throw new SourceError(`${where(file)}: cannot read it (${(cause as Error).message})`, {
          cause,
          facts: { file: where(file) },
        });
      }
    },
    stream: (file: string) => createReadStream(where(file), { highWaterMark: READ_CHUNK }),
    provenance: () => ({ dir }),
    close: () => undefined,
  });
}
