import { connect, quoteId, sql, type Target } from 'rowback';
import { type MysqlServer, startMysql } from 'rowback/testing';

/** A private server writing a ROW/FULL binary log, with helpers to mark positions in it. */
export interface BinlogServer {
  readonly server: MysqlServer;
  readonly target: Target;
  /** Directory of the binlog files. */
  readonly logDir: string;
  position(): Promise<{ file: string; position: number }>;
  /** The binlog files, oldest first, as paths (after FLUSH BINARY LOGS closes the current one). */
  files(): Promise<string[]>;
  run(statements: string, schema?: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startBinlogServer(): Promise<BinlogServer> {
  const server = await startMysql({ binaryLog: true });
  const target = await connect(server.url);
  const log = await sql<{
    on_: number;
    base: string | null;
  }>`SELECT @@log_bin AS on_, @@log_bin_basename AS base`.execute(target.db);
  if (Number(log.rows[0]?.on_) !== 1 || !log.rows[0]?.base) {
    await target.close();
    await server.stop();
    throw new Error(
      `the binlog tests need a server writing a binary log; ${server.provider} gave one with log_bin off (use the ephemeral provider: unset ROWBACK_TEST_DATABASE_URL)`,
    );
  }
  const logDir = log.rows[0].base.replace(/\/[^/]+$/, '');
  return {
    server,
    target,
    logDir,
    async position() {
      const status = await sql
        .raw<{ File: string; Position: number }>('SHOW MASTER STATUS')
        .execute(target.db);
      return { file: String(status.rows[0]!.File), position: Number(status.rows[0]!.Position) };
    },
    async files() {
      await sql.raw('FLUSH BINARY LOGS').execute(target.db);
      const logs = await sql.raw<{ Log_name: string }>('SHOW BINARY LOGS').execute(target.db);
      return logs.rows.map((r) => `${logDir}/${r.Log_name}`);
    },
    async run(statements: string, schema?: string) {
      await target.db.connection().execute(async (db) => {
        if (schema) await sql.raw(`USE ${quoteId(schema)}`).execute(db);
        for (const statement of statements
          .split(/;\s*\n/)
          .map((s) => s.trim())
          .filter(Boolean)) {
          await sql.raw(statement).execute(db);
        }
      });
    },
    async stop() {
      await target.close();
      await server.stop();
    },
  };
}
