import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DumpSelection } from '../../src/sources/dump-selection.ts';
import { MysqldumpTokenizer } from '../../src/sources/mysqldump-tokenizer.ts';
import { rewriteCreateTable, type WorkspaceServer } from '../../src/sources/workspace-ddl.ts';

const REAL = new URL('../../fixtures/real/', import.meta.url).pathname;
const MARIADB: WorkspaceServer = {
  flavour: 'mariadb',
  version: '10.11.9',
  requirePrimaryKey: false,
  collations: new Set([
    'utf8mb4_unicode_520_nopad_ci',
    'ascii_general_ci',
    'ascii_bin',
    'utf8mb4_general_ci',
    'utf8mb4_bin',
  ]),
};

/** The MySQL 8.0.26 / 8.0.40 TEMPLATE files are for header, DDL and statement splitting only (README). */
describe('MySQL 8 template dumps (edited by the MySQL Shell developers)', () => {
  for (const [file, tables, placeholders] of [
    ['mysqldump-mysql8.0.26-innodb-cluster-metadata-TEMPLATE-has-placeholders.sql', 6, ['instances']],
    [
      'mysqldump-mysql8.0.40-innodb-cluster-metadata-TEMPLATE-has-placeholders.sql',
      9,
      ['async_cluster_members', 'instances'],
    ],
  ] as const) {
    it(`${file}: every table's DDL adapts to MariaDB, the placeholder INSERTs are refused`, () => {
      const bytes = readFileSync(`${REAL}${file}`);
      const all = new DumpSelection({ tables: [] }, MARIADB);
      const tokenizer = new MysqldumpTokenizer(all);
      tokenizer.write(bytes);
      tokenizer.end();
      const names = [...all.created.values()].map((t) => t.table);
      expect(names).toHaveLength(tables);
      if (file.includes('8.0.40')) {
        expect(all.position).toEqual({ gtidPurged: 'b062f2fa-b71c-11ef-bc53-d08e7912e4ee:1-61' });
      }
      for (const name of names) {
        const selection = new DumpSelection({ tables: [name] }, MARIADB);
        const run = () => {
          const one = new MysqldumpTokenizer(selection);
          one.write(bytes);
          one.end();
        };
        if ((placeholders as readonly string[]).includes(name)) {
          expect(run).toThrow(/not in INSERT … VALUES form/);
          continue;
        }
        run();
        const create = selection.events.find((e) => e.kind === 'create');
        if (create?.kind !== 'create') throw new Error(`no CREATE TABLE for ${name}`);
        const ddl = rewriteCreateTable(create.text, 'w', name, MARIADB);
        expect(ddl.changes).toContain(`${name}: collation utf8mb4_0900_ai_ci → utf8mb4_unicode_520_nopad_ci`);
        expect(ddl.sql).not.toMatch(/0900|DEFINER|AUTO_INCREMENT=|FOREIGN KEY/);
      }
    });
  }
});

describe('dump position', () => {
  it('records the binlog position of --master-data=2 and the GTID state', () => {
    const selection = new DumpSelection({ tables: [] }, MARIADB);
    const tokenizer = new MysqldumpTokenizer(selection);
    tokenizer.write(
      Buffer.from(
        "-- CHANGE MASTER TO MASTER_LOG_FILE='binlog.000042', MASTER_LOG_POS=1234;\nSET GLOBAL gtid_slave_pos='0-1-77';\n",
      ),
    );
    tokenizer.end();
    expect(selection.position).toEqual({
      binlogFile: 'binlog.000042',
      binlogPosition: 1234,
      gtidSlavePos: '0-1-77',
    });
  });

  it('records the position of a MySQL 8.0.23+/8.4 dump (CHANGE REPLICATION SOURCE TO SOURCE_LOG_…)', () => {
    const selection = new DumpSelection({ tables: [] }, MARIADB);
    const tokenizer = new MysqldumpTokenizer(selection);
    // mysqldump 8.4 --source-data=2 writes this comment (8.0.23+ with --source-data; --master-data is gone in 8.4).
    tokenizer.write(
      Buffer.from(
        "-- CHANGE REPLICATION SOURCE TO SOURCE_LOG_FILE='binlog.000003', SOURCE_LOG_POS=157;\n" +
          "SET @@GLOBAL.GTID_PURGED=/*!80000 '+'*/ '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-23';\n",
      ),
    );
    tokenizer.end();
    expect(selection.position).toEqual({
      binlogFile: 'binlog.000003',
      binlogPosition: 157,
      gtidPurged: '3e11fa47-71ca-11e1-9e33-c80aa9429562:1-23',
    });
  });
});
