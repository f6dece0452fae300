import { SourceError } from '../errors/index.ts';
import { MysqldumpTokenizer } from './mysqldump-tokenizer.ts';

/**
 * The statements of a small SQL file (a Shell dump's DDL file, read whole by its storage), split by the
 * dump tokenizer. `file` names it in errors.
 */
export function sqlFileStatements(file: string, bytes: Buffer): { text: Buffer; offset: number }[] {
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
