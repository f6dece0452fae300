import { describe, expect, it } from 'vitest';
import { rewriteCreateTable, type WorkspaceServer } from '../../src/sources/workspace-ddl.ts';

const MARIADB: WorkspaceServer = {
  flavour: 'mariadb',
  version: '10.11.9',
  requirePrimaryKey: false,
  collations: new Set([
    'utf8mb4_unicode_520_nopad_ci',
    'utf8mb4_nopad_bin',
    'utf8mb4_general_ci',
    'ascii_general_ci',
  ]),
};
const MYSQL: WorkspaceServer = {
  flavour: 'mysql',
  version: '8.0.36',
  requirePrimaryKey: true,
  collations: new Set(['utf8mb4_0900_ai_ci', 'utf8mb4_0900_bin', 'utf8mb4_general_ci']),
};

const MYSQL8_TABLE = `CREATE TABLE \`clusters\` (
  \`cluster_id\` int unsigned NOT NULL AUTO_INCREMENT,
  \`name\` varchar(40) COLLATE utf8mb4_0900_bin NOT NULL,
  \`secret\` varchar(20) DEFAULT NULL /*!80023 INVISIBLE */,
  \`pos\` point NOT NULL /*!80003 SRID 4326 */,
  \`replicaset\` int DEFAULT NULL,
  PRIMARY KEY (\`cluster_id\`),
  KEY \`lower_name\` ((lower(\`name\`))),
  CONSTRAINT \`clusters_ibfk_1\` FOREIGN KEY (\`replicaset\`) REFERENCES \`replicasets\` (\`id\`)
) ENGINE=InnoDB AUTO_INCREMENT=2 DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci /*!80016 ENCRYPTION='N' */ /*!50100 TABLESPACE \`innodb_system\` */`;

describe('rewriteCreateTable', () => {
  it('adapts a MySQL 8 table to MariaDB and lists every change', () => {
    const ddl = rewriteCreateTable(MYSQL8_TABLE, 'rb_ws', 'backup__clusters', MARIADB);
    expect(ddl.sql).toBe(
      [
        'CREATE TABLE `rb_ws`.`backup__clusters` (',
        '  `cluster_id` int unsigned NOT NULL AUTO_INCREMENT,',
        '  `name` varchar(40) COLLATE utf8mb4_nopad_bin NOT NULL,',
        '  `secret` varchar(20) DEFAULT NULL INVISIBLE,',
        '  `pos` point NOT NULL,',
        '  `replicaset` int DEFAULT NULL,',
        '  PRIMARY KEY (`cluster_id`)',
        ') ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_nopad_ci',
      ].join('\n'),
    );
    expect(ddl.changes).toEqual([
      'clusters: collation utf8mb4_0900_bin → utf8mb4_nopad_bin',
      'clusters: dropped column attribute SRID 4326 (MariaDB does not take it here)',
      'clusters: dropped functional index lower_name (MariaDB has none; it does not change the rows)',
      'clusters: dropped foreign key clusters_ibfk_1 (workspace tables are not linked)',
      'clusters: collation utf8mb4_0900_ai_ci → utf8mb4_unicode_520_nopad_ci',
      "clusters: dropped ENCRYPTION='N' (MySQL-only option)",
      'clusters: dropped table option TABLESPACE `innodb_system`',
    ]);
    expect(ddl.columns.map((c) => c.name)).toEqual(['cluster_id', 'name', 'secret', 'pos', 'replicaset']);
  });

  it('lists the dropped foreign keys of a table on one line (issue 13: one warning per table, not per key)', () => {
    const ddl = rewriteCreateTable(
      `CREATE TABLE \`film_actor\` (
  \`actor_id\` int NOT NULL, \`film_id\` int NOT NULL, \`store_id\` int NOT NULL,
  PRIMARY KEY (\`actor_id\`, \`film_id\`),
  CONSTRAINT \`fk_film_actor_actor\` FOREIGN KEY (\`actor_id\`) REFERENCES \`actor\` (\`actor_id\`),
  CONSTRAINT \`fk_film_actor_film\` FOREIGN KEY (\`film_id\`) REFERENCES \`film\` (\`film_id\`),
  CONSTRAINT \`fk_film_actor_store\` FOREIGN KEY (\`store_id\`) REFERENCES \`store\` (\`store_id\`)
) ENGINE=InnoDB`,
      'rb_ws',
      'backup__film_actor',
      MARIADB,
    );
    expect(ddl.changes).toEqual([
      'film_actor: dropped 3 foreign keys fk_film_actor_actor, fk_film_actor_film, fk_film_actor_store (workspace tables are not linked)',
    ]);
  });

  it('refuses what has no safe equivalent', () => {
    expect(() =>
      rewriteCreateTable(
        'CREATE TABLE t (a varchar(9) COLLATE utf8mb4_ja_0900_as_cs_ks) ',
        'w',
        't',
        MARIADB,
      ),
    ).toThrow(/collation utf8mb4_ja_0900_as_cs_ks, which the mariadb 10.11.9 workspace server does not have/);
    expect(() =>
      rewriteCreateTable("CREATE TABLE t (a int PRIMARY KEY) ENCRYPTION='Y'", 'w', 't', MARIADB),
    ).toThrow(/is encrypted/);
    expect(() => rewriteCreateTable('CREATE TABLE t AS SELECT 1', 'w', 't', MARIADB)).toThrow(
      /not a plain CREATE TABLE/,
    );
  });

  it('gives a table without a primary key an invisible one where the server requires it', () => {
    const ddl = rewriteCreateTable(
      'CREATE TABLE `log` (`msg` text, `at` datetime) ENGINE=MyISAM DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_uca1400_ai_ci',
      'w',
      'log',
      MYSQL,
    );
    expect(ddl.sql).toBe(
      'CREATE TABLE `w`.`log` (\n  `msg` text,\n  `at` datetime,\n  `rb_row_id` bigint unsigned NOT NULL AUTO_INCREMENT INVISIBLE,\n  PRIMARY KEY (`rb_row_id`)\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_ai_ci',
    );
    expect(ddl.changes).toEqual([
      'log: added invisible primary key rb_row_id (the table has none and the server requires one)',
      'log: ENGINE=MyISAM → InnoDB',
      'log: collation utf8mb4_uca1400_ai_ci → utf8mb4_0900_ai_ci',
    ]);
  });

  it('keeps generated columns, names and comments intact, and marks generated columns', () => {
    const ddl = rewriteCreateTable(
      "CREATE TABLE IF NOT EXISTS `s`.`we``ird` (`id` int NOT NULL COMMENT 'COLLATE x; ENGINE=y', `g` int GENERATED ALWAYS AS (`id` * 2) VIRTUAL, `p` int AS (id) PERSISTENT, PRIMARY KEY (`id`)) ENGINE=InnoDB",
      'w',
      'we`ird',
      MARIADB,
    );
    expect(ddl.sql).toContain(
      "CREATE TABLE `w`.`we``ird` (\n  `id` int NOT NULL COMMENT 'COLLATE x; ENGINE=y',",
    );
    expect(ddl.columns).toEqual([
      { name: 'id', generated: false },
      { name: 'g', generated: true },
      { name: 'p', generated: true },
    ]);
    expect(ddl.changes).toEqual([]);
  });

  it('defers plain secondary indexes when asked, keeping primary, unique and fulltext ones', () => {
    const ddl = rewriteCreateTable(
      'CREATE TABLE `m` (`id` int NOT NULL, `u` int, `k` varchar(255), `t` text, PRIMARY KEY (`id`), UNIQUE KEY `u` (`u`), KEY `k` (`k`(191)), INDEX `ku` (`k`(10), `u`), FULLTEXT KEY `t` (`t`))',
      'w',
      'm',
      MARIADB,
      { deferIndexes: true },
    );
    expect(ddl.deferredIndexes).toEqual(['KEY `k` (`k`(191))', 'INDEX `ku` (`k`(10), `u`)']);
    expect(ddl.sql).toContain('UNIQUE KEY `u` (`u`),\n  FULLTEXT KEY `t` (`t`)\n)');
    const auto = rewriteCreateTable(
      'CREATE TABLE `a` (`id` int NOT NULL, `n` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`), KEY `n` (`n`), KEY `x` (`id`, `n`))',
      'w',
      'a',
      MARIADB,
      { deferIndexes: true },
    );
    expect(auto.deferredIndexes).toEqual(['KEY `x` (`id`, `n`)']);
  });

  it('drops AUTO_INCREMENT when asked (quietly: no row differs), and says whether the table still generates ids', () => {
    const table =
      "CREATE TABLE `um` (`umeta_id` bigint unsigned NOT NULL AUTO_INCREMENT, `n` int NOT NULL COMMENT 'AUTO_INCREMENT', `k` int, PRIMARY KEY (`umeta_id`), KEY `k` (`k`)) ENGINE=InnoDB AUTO_INCREMENT=7";
    const kept = rewriteCreateTable(table, 'w', 'um', MARIADB, { deferIndexes: true });
    expect(kept.generatesIds).toBe(true);
    expect(kept.changes).toEqual([]);
    const dropped = rewriteCreateTable(table, 'w', 'um', MARIADB, {
      deferIndexes: true,
      dropAutoIncrement: true,
    });
    expect(dropped.sql).toBe(
      "CREATE TABLE `w`.`um` (\n  `umeta_id` bigint unsigned NOT NULL,\n  `n` int NOT NULL COMMENT 'AUTO_INCREMENT',\n  `k` int,\n  PRIMARY KEY (`umeta_id`)\n) ENGINE=InnoDB",
    );
    expect(dropped.generatesIds).toBe(false);
    expect(dropped.changes).toEqual([]);
    // An index that leads with the former AUTO_INCREMENT column can now wait for the rows too.
    const led = rewriteCreateTable(
      'CREATE TABLE `a` (`id` int NOT NULL, `n` int NOT NULL AUTO_INCREMENT, PRIMARY KEY (`id`), KEY `n` (`n`))',
      'w',
      'a',
      MARIADB,
      { deferIndexes: true, dropAutoIncrement: true },
    );
    expect(led.deferredIndexes).toEqual(['KEY `n` (`n`)']);
    // The invisible key rowback adds must number the rows: that table keeps generating ids.
    const keyless = rewriteCreateTable('CREATE TABLE `l` (`msg` text)', 'w', 'l', MYSQL, {
      dropAutoIncrement: true,
    });
    expect(keyless.generatesIds).toBe(true);
  });
});
