// Untimed setup for S1-shell: a MySQL Shell dump (format 2.0.1, zstd TSV chunks, written by the incident
// builder's writer) of wp_users + wp_usermeta of the source schema. A shell dump keeps each table in its
// own files, so a dump of only these two tables reads exactly as they would out of a full dumpInstance.
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { sql } from 'rowback';
import { writeShellDump } from '../../src/demo/shell-dump/write-shell-dump.ts';
import { argValue, benchTarget } from './bench-target.ts';

const source = argValue('source');
const dir = argValue('dir');
const schema = 'rb_bench_shsrc';

if (existsSync(`${dir}/@.done.json`)) {
  console.log(`${dir}: exists`);
} else {
  await rm(dir, { recursive: true, force: true });
  const target = await benchTarget(source);
  try {
    await sql.raw(`DROP DATABASE IF EXISTS ${schema}`).execute(target.db);
    await sql.raw(`CREATE DATABASE ${schema}`).execute(target.db);
    for (const table of ['wp_users', 'wp_usermeta']) {
      await sql.raw(`CREATE TABLE ${schema}.${table} LIKE \`${source}\`.${table}`).execute(target.db);
      await sql.raw(`INSERT INTO ${schema}.${table} SELECT * FROM \`${source}\`.${table}`).execute(target.db);
    }
    const result = await writeShellDump(target, { schema, dir });
    console.log(`${dir}: ${JSON.stringify(result.tables)}`);
  } finally {
    await sql.raw(`DROP DATABASE IF EXISTS ${schema}`).execute(target.db);
    await target.close();
  }
}
