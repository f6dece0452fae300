import { splitSqlScript } from 'rowback';
import { describe, expect, it } from 'vitest';

describe('splitSqlScript', () => {
  it('splits on ; outside strings, identifiers and comments', () => {
    expect(splitSqlScript('SET @a = \';\'; SELECT `x;y` FROM t; -- c;\nSELECT "q\\";" /* ; */;')).toEqual([
      "SET @a = ';'",
      'SELECT `x;y` FROM t',
      '-- c;\nSELECT "q\\";" /* ; */',
    ]);
  });

  it('keeps versioned comments and drops comment-only statements', () => {
    expect(splitSqlScript('/*!40101 SET NAMES utf8mb4 */;\n-- only a comment\n;')).toEqual([
      '/*!40101 SET NAMES utf8mb4 */',
    ]);
  });

  it('follows DELIMITER changes for routines and triggers', () => {
    const script =
      'DELIMITER ;;\nCREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END ;;\nDELIMITER ;\nSELECT 1;';
    expect(splitSqlScript(script)).toEqual([
      'CREATE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; END',
      'SELECT 1',
    ]);
  });

  it('handles doubled quotes', () => {
    expect(splitSqlScript("INSERT INTO t VALUES ('it''s; fine');SELECT 2")).toEqual([
      "INSERT INTO t VALUES ('it''s; fine')",
      'SELECT 2',
    ]);
  });
});
