import { readFile } from 'node:fs/promises';
import { type Kysely, sql } from 'kysely';
import { splitSqlScript } from '../db/index.ts';

/** Where the WordPress and EP plugin DDL live, relative to this file (same depth in src/ and dist/). */
export const FIXTURE_FILES = Object.freeze({
  wordpressSchema: new URL('../../fixtures/wordpress/schema.sql', import.meta.url),
  epPlugin: new URL('../../fixtures/wordpress/ep-plugin.sql', import.meta.url),
});

/**
 * The session `sql_mode` WordPress itself runs with: `wpdb::set_sql_mode()` drops these modes, and the
 * core schema needs that (`'0000-00-00 00:00:00'` defaults are refused under NO_ZERO_DATE / strict,
 * which MySQL 8 has by default).
 */
const WORDPRESS_INCOMPATIBLE_MODES = new Set([
  'NO_ZERO_DATE',
  'ONLY_FULL_GROUP_BY',
  'STRICT_TRANS_TABLES',
  'STRICT_ALL_TABLES',
  'TRADITIONAL',
  'ANSI',
]);

/** Sets the pinned session up like WordPress's `wpdb` does, with UTC for deterministic DATETIME text. */
export async function prepareWordPressSession(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ mode: string }>`SELECT @@SESSION.sql_mode AS mode`.execute(db);
  const modes = (rows[0]?.mode ?? '')
    .split(',')
    .filter((mode) => mode && !WORDPRESS_INCOMPATIBLE_MODES.has(mode.toUpperCase()));
  await sql`SET SESSION sql_mode = ${modes.join(',')}`.execute(db);
  await sql`SET SESSION time_zone = '+00:00'`.execute(db);
}

/** Runs a DDL file on a connection whose default schema is where its unqualified tables belong. */
export async function runSqlFile(db: Kysely<any>, file: URL): Promise<void> {
  const script = await readFile(file, 'utf8');
  for (const statement of splitSqlScript(script)) await sql.raw(statement).execute(db);
}
