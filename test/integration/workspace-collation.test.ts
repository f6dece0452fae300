import { connect, openWorkspace, quoteId, sql } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { unique } from './sources-helpers.ts';

describe("workspace schema takes the live schema's collation", () => {
  it('a key table made without a collation compares with live columns (no 1267 illegal mix)', async () => {
    const admin = await connect(inject('mysqlUrl'));
    const live = unique('rbt_coll_live');
    const ws = unique('rbt_coll_ws');
    const other = unique('rbt_coll_fixed');
    // Not the server's default for utf8mb4 on either flavour (general_ci on MariaDB, 0900_ai_ci on MySQL).
    await sql
      .raw(`CREATE DATABASE ${quoteId(live)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci`)
      .execute(admin.db);
    try {
      await sql.raw(`CREATE TABLE ${quoteId(live)}.u (login varchar(60) PRIMARY KEY)`).execute(admin.db);
      await sql.raw(`INSERT INTO ${quoteId(live)}.u VALUES ('alice'), ('bob')`).execute(admin.db);
      await using target = await admin.reconnect({ database: live });
      const workspace = await openWorkspace(target, { schema: ws });
      const defaults = await sql<{ collation: string }>`
        SELECT DEFAULT_COLLATION_NAME AS collation FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${ws}`.execute(
        admin.db,
      );
      expect(defaults.rows[0]?.collation).toBe('utf8mb4_unicode_520_ci');
      await sql
        .raw(`CREATE TABLE ${workspace.table('keys').qualified} (login varchar(60) PRIMARY KEY)`)
        .execute(admin.db);
      await sql.raw(`INSERT INTO ${workspace.table('keys').qualified} VALUES ('bob')`).execute(admin.db);
      const joined = await sql<{ login: string }>`
        SELECT u.login FROM ${sql.table(`${live}.u`)} u JOIN ${sql.table(`${ws}.keys`)} k ON k.login = u.login`.execute(
        admin.db,
      );
      expect(joined.rows.map((r) => r.login)).toEqual(['bob']);
      // The failure mode this prevents: the server's own utf8mb4 default differs from the live
      // schema's, and comparing the two implicit collations is refused.
      await sql.raw(`CREATE DATABASE ${quoteId(other)} DEFAULT CHARACTER SET utf8mb4`).execute(admin.db);
      await sql.raw(`CREATE TABLE ${quoteId(other)}.keys (login varchar(60) PRIMARY KEY)`).execute(admin.db);
      const mixed = sql`
        SELECT u.login FROM ${sql.table(`${live}.u`)} u JOIN ${sql.table(`${other}.keys`)} k ON k.login = u.login`.execute(
        admin.db,
      );
      await expect(mixed).rejects.toThrow(/Illegal mix of collations/);
    } finally {
      for (const schema of [live, ws, other])
        await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`).execute(admin.db);
      await admin.close();
    }
  });
});
