import { sqlCharsetName } from 'rowback';
import { describe, expect, it } from 'vitest';
import { createWorkspaceSql } from '../../src/primitives/workspace.ts';
import { standInCollation } from '../../src/sources/collation-map.ts';
import { START_SNAPSHOT, snapshotPositionSql } from '../../src/sources/snapshot-position.ts';
import { rewriteCreateTable, type WorkspaceServer } from '../../src/sources/workspace-ddl.ts';

const MYSQL84: WorkspaceServer = {
  flavour: 'mysql',
  version: '8.4.3',
  requirePrimaryKey: false,
  collations: new Set(['utf8mb4_0900_ai_ci', 'utf8mb3_general_ci', 'utf8mb4_general_ci']),
};
const MARIADB1011: WorkspaceServer = {
  flavour: 'mariadb',
  version: '10.11.9',
  requirePrimaryKey: false,
  collations: new Set(['utf8mb4_general_ci', 'utf8mb3_general_ci', 'utf8mb4_unicode_520_nopad_ci']),
};
const MARIADB105: WorkspaceServer = {
  ...MARIADB1011,
  version: '10.5.20',
  collations: new Set(['utf8_general_ci']),
};

// What mariadb-dump 10.11 writes for these features (SHOW CREATE TABLE form).
const MARIADB_TABLE = `CREATE TABLE \`events\` (
  \`id\` int(11) NOT NULL,
  \`uuid\` char(36) NOT NULL DEFAULT uuid(),
  \`made\` datetime NOT NULL DEFAULT current_timestamp(),
  \`note\` text DEFAULT 'none',
  \`neg\` blob DEFAULT -1,
  \`total\` int(11) GENERATED ALWAYS AS (\`id\` * 2) PERSISTENT,
  PRIMARY KEY (\`id\`),
  KEY \`made\` (\`made\`) IGNORED,
  CONSTRAINT \`positive\` CHECK (\`id\` > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci PAGE_COMPRESSED=1 PAGE_COMPRESSION_LEVEL=6 ROW_FORMAT=PAGE`;

// What mysqldump 8.x writes: invisible index and column as versioned comments, a named CHECK.
const MYSQL_TABLE = `CREATE TABLE \`events\` (
  \`id\` int NOT NULL,
  \`made\` datetime NOT NULL,
  \`secret\` int DEFAULT NULL /*!80023 INVISIBLE */,
  PRIMARY KEY (\`id\`),
  KEY \`made\` (\`made\`) /*!80000 INVISIBLE */,
  CONSTRAINT \`events_chk_1\` CHECK ((\`id\` > 0))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8_general_ci`;

describe('cross-flavour DDL', () => {
  it('adapts MariaDB DDL for a MySQL 8.4 workspace and lists each change', () => {
    const ddl = rewriteCreateTable(MARIADB_TABLE, 'ws', 'b__events', MYSQL84);
    expect(ddl.sql).toBe(
      [
        'CREATE TABLE `ws`.`b__events` (',
        '  `id` int(11) NOT NULL,',
        '  `uuid` char(36) NOT NULL DEFAULT (uuid()),',
        '  `made` datetime NOT NULL DEFAULT current_timestamp(),',
        "  `note` text DEFAULT ('none'),",
        '  `neg` blob DEFAULT (-1),',
        '  `total` int(11) GENERATED ALWAYS AS (`id` * 2) STORED,',
        '  PRIMARY KEY (`id`),',
        '  KEY `made` (`made`) INVISIBLE,',
        '  CHECK (`id` > 0)',
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci',
      ].join('\n'),
    );
    expect(ddl.changes).toEqual([
      'events: column uuid DEFAULT uuid() → DEFAULT (uuid()) (MySQL wants expression defaults in parentheses)',
      'events: column note literal DEFAULT on text written as an expression (MySQL takes no literal default there)',
      'events: column neg literal DEFAULT on blob written as an expression (MySQL takes no literal default there)',
      'events: IGNORED index → INVISIBLE (the MySQL name for it)',
      'events: dropped PAGE_COMPRESSED=1 (MariaDB-only option)',
      'events: dropped PAGE_COMPRESSION_LEVEL=6 (MariaDB-only option)',
      'events: dropped ROW_FORMAT=PAGE (an Aria row format; the workspace is InnoDB)',
    ]);
  });

  it('keeps the same MariaDB DDL as it is for a MariaDB workspace (but for ROW_FORMAT=PAGE)', () => {
    const ddl = rewriteCreateTable(MARIADB_TABLE, 'ws', 'b__events', MARIADB1011);
    expect(ddl.sql).toContain('DEFAULT uuid(),');
    expect(ddl.sql).toContain("`note` text DEFAULT 'none',");
    expect(ddl.sql).toContain('PERSISTENT,');
    expect(ddl.sql).toContain('KEY `made` (`made`) IGNORED,');
    expect(ddl.sql).toContain('CONSTRAINT `positive` CHECK (`id` > 0)');
    expect(ddl.sql).toMatch(
      /\) ENGINE=InnoDB DEFAULT CHARSET=utf8mb3 COLLATE=utf8mb3_general_ci PAGE_COMPRESSED=1 PAGE_COMPRESSION_LEVEL=6$/,
    );
    expect(ddl.changes).toEqual([
      'events: dropped ROW_FORMAT=PAGE (an Aria row format; the workspace is InnoDB)',
    ]);
  });

  it('drops CHECK names on MySQL only, so two copies of one table fit in one workspace schema', () => {
    const mysql = rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MYSQL84);
    expect(mysql.sql).toContain('  CHECK ((`id` > 0))\n');
    expect(mysql.sql).not.toContain('events_chk_1');
    const mariadb = rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MARIADB1011);
    expect(mariadb.sql).toContain('CONSTRAINT `events_chk_1` CHECK ((`id` > 0))');
  });

  it('turns MySQL INVISIBLE indexes into IGNORED on MariaDB 10.6+, and into plain ones before', () => {
    const ddl = rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MARIADB1011);
    expect(ddl.sql).toContain('  `secret` int DEFAULT NULL INVISIBLE,\n');
    expect(ddl.sql).toContain('  KEY `made` (`made`) IGNORED,\n');
    expect(ddl.changes).toContain('events: INVISIBLE index → IGNORED (the MariaDB name for it)');
    const old = rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MARIADB105);
    expect(old.sql).toContain('  KEY `made` (`made`),\n');
    expect(old.changes).toContain(
      'events: INVISIBLE index made visible (MariaDB before 10.6 cannot hide an index; rows are the same)',
    );
    const mysql = rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MYSQL84);
    expect(mysql.sql).toContain('  KEY `made` (`made`) INVISIBLE,\n');
  });

  it('takes utf8_* and utf8mb3_* collation names for one another, both ways', () => {
    // MySQL 8.0.30+ and MariaDB 10.6+ list only utf8mb3_general_ci; a MySQL 8.0.17 dump says utf8_general_ci.
    const onMysql = rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MYSQL84);
    expect(onMysql.sql).toMatch(/COLLATE=utf8mb3_general_ci$/);
    expect(onMysql.changes).toContain('events: collation utf8_general_ci → utf8mb3_general_ci');
    expect(rewriteCreateTable(MYSQL_TABLE, 'ws', 'b__events', MARIADB1011).sql).toMatch(
      /COLLATE=utf8mb3_general_ci$/,
    );
    expect(standInCollation('utf8mb3_general_ci', MARIADB105.collations)).toBe('utf8_general_ci');
    expect(standInCollation('utf8mb3_bin', MARIADB105.collations)).toBeNull();
  });

  it('names utf8 data utf8mb3 in SQL (MySQL 8 warns on utf8, and a warning fails a load)', () => {
    expect(sqlCharsetName('utf8')).toBe('utf8mb3');
    expect(sqlCharsetName('UTF8')).toBe('utf8mb3');
    expect(sqlCharsetName('utf8mb4')).toBe('utf8mb4');
    expect(sqlCharsetName('latin1')).toBe('latin1');
  });

  it('gives a PK-less table its own key where MySQL would generate my_row_id (GIPK on)', () => {
    const table = 'CREATE TABLE `log` (\n  `at` datetime NOT NULL,\n  `msg` text\n) ENGINE=InnoDB';
    const gipk = rewriteCreateTable(table, 'ws', 'b__log', { ...MYSQL84, generateInvisiblePrimaryKey: true });
    expect(gipk.sql).toContain(
      '`rb_row_id` bigint unsigned NOT NULL AUTO_INCREMENT INVISIBLE,\n  PRIMARY KEY (`rb_row_id`)',
    );
    expect(gipk.changes).toEqual([
      'log: added invisible primary key rb_row_id (the table has none and the server would add its own my_row_id (sql_generate_invisible_primary_key))',
    ]);
    expect(rewriteCreateTable(table, 'ws', 'b__log', MYSQL84).sql).not.toContain('rb_row_id');
    expect(rewriteCreateTable(table, 'ws', 'b__log', MARIADB1011).sql).not.toContain('rb_row_id');
  });
});

describe('fromServer snapshot position', () => {
  it('reads the position with the snapshot on both flavours, never under a global lock', () => {
    expect(START_SNAPSHOT).toBe('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    expect(snapshotPositionSql('mariadb')).toEqual({
      before: null,
      after: [
        "SHOW SESSION STATUS WHERE Variable_name IN ('Binlog_snapshot_file', 'Binlog_snapshot_position')",
        'SELECT BINLOG_GTID_POS(?, ?)',
      ],
    });
    expect(snapshotPositionSql('mysql')).toEqual({
      before: 'SELECT @@GLOBAL.gtid_executed',
      after: ['SELECT @@GLOBAL.gtid_executed'],
    });
  });
});

describe('workspace schema defaults', () => {
  it("creates the workspace with the live schema's charset and collation (same SQL on both flavours)", () => {
    expect(createWorkspaceSql('rb_x', { charset: 'utf8mb4', collation: 'utf8mb4_0900_ai_ci' })).toBe(
      'CREATE DATABASE IF NOT EXISTS `rb_x` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_ai_ci',
    );
    expect(createWorkspaceSql('rb_x', { charset: 'utf8mb4', collation: 'utf8mb4_unicode_520_ci' })).toBe(
      'CREATE DATABASE IF NOT EXISTS `rb_x` DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci',
    );
    expect(createWorkspaceSql('rb_x', null)).toBe(
      'CREATE DATABASE IF NOT EXISTS `rb_x` DEFAULT CHARACTER SET utf8mb4',
    );
  });
});
