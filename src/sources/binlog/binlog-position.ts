import { sql } from 'kysely';
import type { Target } from '../../db/index.ts';
import { BinlogSettingError } from '../../errors/index.ts';
import { CURRENT_BINLOG_POSITION } from '../../validation/api-contracts.ts';
import { checkCall } from '../../validation/check-call.ts';

/**
 * The server's current binlog file and position: where the next transaction will start. MySQL 8.4
 * renamed SHOW MASTER STATUS to SHOW BINARY LOG STATUS; MariaDB and MySQL 8.0 know the old name.
 *
 * @example
 * const start = await currentBinlogPosition(target); // { file: 'binlog.000042', position: 1234 }
 */
export async function currentBinlogPosition(target: Target): Promise<{ file: string; position: number }> {
  checkCall(CURRENT_BINLOG_POSITION, { target });
  const statement =
    target.server.flavour === 'mysql' && !/^8\.0\./.test(target.server.version)
      ? 'SHOW BINARY LOG STATUS'
      : 'SHOW MASTER STATUS';
  const { rows } = await sql.raw<{ File: string; Position: number | string }>(statement).execute(target.db);
  const row = rows[0];
  if (!row) {
    throw new BinlogSettingError({
      setting: 'log_bin',
      expected: 'ON',
      found: 'OFF',
      what: `${statement} on ${target.description} shows no binary log`,
      fix: 'start the server with log-bin (binlog_format=ROW, binlog_row_image=FULL)',
    });
  }
  return { file: String(row.File), position: Number(row.Position) };
}
