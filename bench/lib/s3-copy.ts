// S3: copy the scoped users' wp_users + wp_usermeta rows from server A into a fresh schema on server B
// with the public fromServer source; the scope is the same ID list the mysqldump --where peer gets.
import { readFileSync } from 'node:fs';
import { fromServer, sql } from 'rowback';
import { argValue, benchTarget, PORT_A, PORT_B, since } from './bench-target.ts';

const schema = argValue('schema');
const into = argValue('target');
const ids = readFileSync(argValue('scope-file'), 'utf8').trim().split(',');

const start = performance.now();
console.log(`node start + imports: ${start.toFixed(0)} ms`);
const list = sql.join(ids.map((id) => sql.lit(Number(id))));
const target = await benchTarget(into, PORT_B);
try {
  const source = fromServer(`mysql://root@127.0.0.1:${PORT_A}/`, {
    schema,
    tables: ['wp_users', 'wp_usermeta'],
    where: { wp_users: sql`ID IN (${list})`, wp_usermeta: sql`user_id IN (${list})` },
  });
  const result = await source.extract({ target, workspace: into, tableName: (table) => table });
  const landed = result.tables.reduce((sum, t) => sum + t.rows, 0);
  console.log(`s3-copy ${ids.length} users: ${landed} rows in ${since(start)}`);
  console.log(landed);
} finally {
  await target.close();
}
