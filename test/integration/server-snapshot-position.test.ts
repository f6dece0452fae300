import { connect, fromServer, quoteId, sql } from 'rowback';
import { findServerBinary, type MysqlServer, startEphemeralServer } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unique } from './sources-helpers.ts';

const binary = await findServerBinary();

/** A private server with its binary log on (the shared test server runs with --skip-log-bin). */
describe.skipIf(binary?.flavour !== 'mariadb')(
  'fromServer records the binlog position of its snapshot',
  () => {
    let server: MysqlServer;
    beforeAll(async () => {
      server = await startEphemeralServer(binary!, { serverArgs: ['--log-bin=rb-binlog', '--server-id=7'] });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('file, position and GTID position as of the snapshot, not of later commits', async () => {
      await using target = await connect(server.url);
      const live = unique('rbt_pos_live');
      const ws = unique('rbt_pos_ws');
      await sql.raw(`CREATE DATABASE ${quoteId(live)}`).execute(target.db);
      await sql.raw(`CREATE DATABASE ${quoteId(ws)}`).execute(target.db);
      await sql.raw(`CREATE TABLE ${quoteId(live)}.t (id int PRIMARY KEY)`).execute(target.db);
      await sql.raw(`INSERT INTO ${quoteId(live)}.t VALUES (1), (2), (3)`).execute(target.db);
      const status = await sql<{ File: string; Position: string | number }>`SHOW MASTER STATUS`.execute(
        target.db,
      );
      const gtid = await sql<{ g: string }>`SELECT @@GLOBAL.gtid_binlog_pos AS g`.execute(target.db);
      let wrote: Promise<unknown> | null = null;
      const copied = await fromServer(server.url, { schema: live, tables: ['t'] }).extract({
        target,
        workspace: ws,
        tableName: (t) => `srv__${t}`,
        // A commit on the source while the copy runs must not move the recorded position.
        onProgress: () => {
          wrote ??= sql.raw(`INSERT INTO ${quoteId(live)}.t VALUES (4)`).execute(target.db);
        },
      });
      await wrote;
      expect(copied.tables.map((t) => t.rows)).toEqual([3]);
      expect(copied.provenance).toMatchObject({
        binlogFile: status.rows[0]?.File,
        binlogPosition: Number(status.rows[0]?.Position),
        gtid: gtid.rows[0]?.g,
        gtidExact: true,
      });
      const after = await sql<{ g: string }>`SELECT @@GLOBAL.gtid_binlog_pos AS g`.execute(target.db);
      expect(after.rows[0]?.g).not.toBe(gtid.rows[0]?.g);
      await sql.raw(`DROP DATABASE ${quoteId(live)}`).execute(target.db);
      await sql.raw(`DROP DATABASE ${quoteId(ws)}`).execute(target.db);
    });
  },
);
