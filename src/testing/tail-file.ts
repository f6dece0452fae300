import { readFile } from 'node:fs/promises';

/** The last `lines` lines of a server's log, for an error message. */
export async function tailFile(file: string, lines: number): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no error log was written)';
  }
}
