import { readFile } from 'node:fs/promises';
import { SourceError } from '../errors/index.ts';
import { MysqldumpTokenizer } from './mysqldump-tokenizer.ts';

/** The statements of a small SQL file (a Shell dump's DDL file), split by the dump tokenizer. */
export async function sqlFileStatements(file: string): Promise<{ text: Buffer; offset: number }[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    throw new SourceError(`${file}: cannot read it (${(cause as Error).message})`, {
      cause,
      facts: { file },
    });
  }
  const statements: { text: Buffer; offset: number }[] = [];
  const tokenizer = new MysqldumpTokenizer({
    comment() {},
    statement(text, _complete, offset) {
      statements.push({ text, offset });
    },
    insert() {
      return null;
    },
    rows() {},
    insertEnd() {},
  });
  try {
    tokenizer.write(bytes);
    tokenizer.end();
  } catch (error) {
    throw new SourceError(`${file}: ${(error as Error).message}`, { cause: error, facts: { file } });
  }
  return statements;
}
