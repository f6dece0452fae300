import { describe, expect, it } from 'vitest';
import { type DumpHandler, MysqldumpTokenizer, type RowPlan } from '../../src/sources/mysqldump-tokenizer.ts';
import { tsvKeySet } from '../../src/sources/row-filter.ts';
import { splitTsvRows, unescapeField } from '../../src/sources/tsv-bytes.ts';

interface Parsed {
  statements: string[];
  inserts: { table: string; schema: string | null; columns: readonly string[] | null; verb: string }[];
  rows: (Buffer | null)[][];
}

function parse(input: string | Buffer, plan: Partial<RowPlan> = {}, chunk = 3): Parsed {
  const parsed: Parsed = { statements: [], inserts: [], rows: [] };
  const handler: DumpHandler = {
    comment() {},
    statement(text) {
      parsed.statements.push(text.toString('latin1'));
    },
    insert(header) {
      parsed.inserts.push({ ...header });
      return { fieldCount: null, keyField: null, keys: null, ...plan };
    },
    rows(tsv) {
      splitTsvRows(tsv, (fields) => parsed.rows.push(fields.map(([s, e]) => unescapeField(tsv, s, e))));
    },
    insertEnd() {},
  };
  const tokenizer = new MysqldumpTokenizer(handler);
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  // Tiny chunks: every state must survive a boundary anywhere.
  for (let i = 0; i < bytes.length; i += chunk) tokenizer.write(bytes.subarray(i, i + chunk));
  tokenizer.end();
  return parsed;
}

const text = (b: Buffer | null | undefined) => (b === null || b === undefined ? null : b.toString('latin1'));

describe('MysqldumpTokenizer', () => {
  it('decodes every string escape and keeps raw bytes as they are', () => {
    for (const chunk of [1, 2, 3, 7, 1000]) {
      const { rows } = parse(
        "INSERT INTO `t` VALUES ('a\\0b\\'c\\\"d\\\\e\\nf\\rg\\Zh\\ti\\bj\\%k\\_l\\Nm''n\t\xff\x80 ');\n",
        {},
        chunk,
      );
      expect(text(rows[0]![0])).toBe("a\0b'c\"d\\e\nf\rg\x1ah\ti\bj\\%k\\_lNm'n\t\xff\x80 ");
    }
  });

  it('reads NULL, numbers (big ones as text), hex, X, b, _binary and charset introducers', () => {
    const { rows } = parse(
      "INSERT INTO `t` VALUES (NULL,-12.5e-3,18446744073709551615,0x00FF0A5C,X'4142',b'101',b'1000000001',_binary 'r\\'aw',_utf8mb4'x',0x,'');\n",
    );
    expect(rows[0]!.map(text)).toEqual([
      null,
      '-12.5e-3',
      '18446744073709551615',
      '\x00\xff\n\\',
      'AB',
      '\x05',
      '\x02\x01',
      "r'aw",
      'x',
      '',
      '',
    ]);
  });

  it('splits statements around comments, versioned comments and DELIMITER blocks', () => {
    const parsed = parse(
      [
        '/*M!999999\\- enable the sandbox mode */ ',
        '-- MariaDB dump 10.19',
        '/*!40101 SET NAMES utf8mb4 */;',
        'CREATE TABLE `a;b` (`x` int /* ; */) ;',
        'DELIMITER ;;',
        "/*!50003 CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = ';' */;;",
        'DELIMITER ;',
        'INSERT INTO `db`.`a;b` (`x`, `y``z`) VALUES (1,2),(3,4);',
        'INSERT IGNORE INTO t VALUES (5);',
        'REPLACE INTO t VALUES (6);',
        '-- Dump completed on 2026-11-26 13:29:00',
        '',
      ].join('\n'),
    );
    expect(parsed.statements).toEqual([
      '/*!40101 SET NAMES utf8mb4 */',
      'CREATE TABLE `a;b` (`x` int ) ',
      "/*!50003 CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW SET @a = ';' */",
    ]);
    expect(parsed.inserts).toEqual([
      { verb: 'INSERT', schema: 'db', table: 'a;b', columns: ['x', 'y`z'] },
      { verb: 'INSERT IGNORE', schema: null, table: 't', columns: null },
      { verb: 'REPLACE', schema: null, table: 't', columns: null },
    ]);
    expect(parsed.rows.map((r) => r.map(text))).toEqual([['1', '2'], ['3', '4'], ['5'], ['6']]);
  });

  it('keeps only rows whose key is in the set, comparing escaped bytes', () => {
    const keys = tsvKeySet([2, 'tab\there', Buffer.from([0xff, 0x0a])]);
    const { rows } = parse("INSERT INTO t VALUES (1,'a'),(2,'b'),(3,'tab\\there'),(4,0xFF0A),(5,NULL);\n", {
      keyField: 0,
      keys: tsvKeySet([2, 5]),
    });
    expect(rows.map((r) => text(r[1]))).toEqual(['b', null]);
    const byText = parse("INSERT INTO t VALUES (1,'a'),(2,'tab\\there'),(3,0xFF0A),(4,'x');\n", {
      keyField: 1,
      keys,
    });
    expect(byText.rows.map((r) => text(r[0]))).toEqual(['2', '3']);
  });

  it('says where a damaged file goes wrong, with byte offset and line', () => {
    expect(() => parse("INSERT INTO t VALUES (1,'a'),\n(2,'b' 3);\n")).toThrow(
      /at byte 37 \(line 2\): expected "," or "\)" after a value, found "3\)/,
    );
    expect(() => parse("INSERT INTO t VALUES (1,'unterminated);\n")).toThrow(
      /expected the rest of an INSERT/,
    );
    expect(() => parse('INSERT INTO t VALUES (1,2);\n', { fieldCount: 3 })).toThrow(
      /a row of 3 values, found 2 values/,
    );
    expect(() => parse('-- MySQL dump 10.13\nSET @a = 1;\n')).toThrow(/"-- Dump completed" line/);
  });
});
