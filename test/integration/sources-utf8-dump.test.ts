import { fromMysqldump, sql } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { loadMethods, workspace } from './sources-helpers.ts';

// How a dump of a utf8 (utf8mb3) table by mysqldump 5.7 / MariaDB before 10.6 starts: MySQL 8 warns
// "'utf8' is currently an alias for the character set UTF8MB3…" each time the name is used in SQL.
const DUMP = [
  '/*!40101 SET NAMES utf8 */;',
  'CREATE TABLE `names` (',
  '  `id` int(11) NOT NULL,',
  '  `name` varchar(40) NOT NULL,',
  '  `bio` text,',
  // Data in utf8 for a utf8mb4 column: the load converts it (CONVERT(… USING utf8mb3), never `utf8`).
  '  `title` varchar(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci DEFAULT NULL,',
  '  PRIMARY KEY (`id`)',
  ') ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci;',
  "INSERT INTO `names` VALUES (1,'Zoë','naïve café','Dr.'),(2,'Łukasz','źdźbło','Łódź'),(3,'plain','',NULL);",
  '',
].join('\n');

describe('a SET NAMES utf8 dump', () => {
  for (const method of loadMethods()) {
    it(`lands byte-exact with no warning (${method})`, async () => {
      const ws = await workspace(inject('mysqlUrl'));
      try {
        const result = await fromMysqldump([Buffer.from(DUMP, 'utf8')], {
          tables: ['names'],
          method,
        }).extract(ws.context);
        expect(result.tables.map((t) => t.rows)).toEqual([3]);
        const rows = await sql<{ name: string; bio: string; title: string | null; collation: string }>`
          SELECT n.name, n.bio, n.title, c.COLLATION_NAME AS collation FROM ${sql.table(`${ws.schema}.b__names`)} n
          JOIN information_schema.COLUMNS c
            ON c.TABLE_SCHEMA = ${ws.schema} AND c.TABLE_NAME = 'b__names' AND c.COLUMN_NAME = 'name'
          ORDER BY n.id`.execute(ws.target.db);
        expect(rows.rows.map((r) => [r.name, r.bio, r.title])).toEqual([
          ['Zoë', 'naïve café', 'Dr.'],
          ['Łukasz', 'źdźbło', 'Łódź'],
          ['plain', '', null],
        ]);
        // utf8_general_ci or, where the server names it so (MySQL 8.0.30+, MariaDB 10.6+), utf8mb3_general_ci.
        expect(rows.rows[0]?.collation).toMatch(/^utf8(mb3)?_general_ci$/);
      } finally {
        await ws.drop();
      }
    });
  }
});
