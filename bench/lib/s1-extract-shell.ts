// S1-shell: extract wp_users + wp_usermeta from a MySQL Shell dump directory with fromMysqlShellDump.
import { fromMysqlShellDump } from 'rowback';
import { argValue, benchTarget, since } from './bench-target.ts';

const dir = argValue('dir');
const schema = argValue('schema');

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const target = await benchTarget(schema);
try {
  const source = fromMysqlShellDump(dir, { tables: ['wp_users', 'wp_usermeta'] });
  const result = await source.extract({ target, workspace: schema, tableName: (table) => table });
  const landed = result.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(`s1-extract-shell ${dir}: ${landed} rows in ${since(start)}`);
  console.log(landed);
} finally {
  await target.close();
}
