// S1: extract wp_users + wp_usermeta from the full mysqldump (plain or .gz, told by magic bytes) into a
// fresh schema with the public fromMysqldump source; --scope-file keeps only the scoped users' rows (S1f).
import { readFileSync } from 'node:fs';
import { fromMysqldump, type RowFilters } from 'rowback';
import { argValue, benchTarget, since } from './bench-target.ts';

const file = argValue('file');
const schema = argValue('schema');
const scopeFile = process.argv.includes('--scope-file') ? argValue('scope-file') : null;

const keys = scopeFile ? readFileSync(scopeFile, 'utf8').trim().split(',') : null;
const rows: RowFilters | undefined = keys
  ? { wp_users: { column: 'ID', keys }, wp_usermeta: { column: 'user_id', keys } }
  : undefined;

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget(schema);
try {
  const source = fromMysqldump(file, { tables: ['wp_users', 'wp_usermeta'], ...(rows ? { rows } : {}) });
  const result = await source.extract({ target, workspace: schema, tableName: (table) => table });
  const landed = result.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(
    `s1-extract ${file}${keys ? ` filter=${keys.length} keys` : ''}: ${landed} rows in ${since(start)}`,
  );
  console.log(landed);
} finally {
  await target.close();
}
