import type { BinlogPoint } from 'rowback';
import { z } from 'zod';

/**
 * A point in the binary log as an operator writes it: `binlog.000042:1234` (file and position), a GTID
 * (`0-1-4711` on MariaDB, `3e11fa47-…:23` on MySQL), or an ISO time with its zone.
 */
export function binlogPoint(text: string): BinlogPoint {
  const position = /^(.+\.\d+):(\d+)$/.exec(text);
  if (position) return { file: position[1]!, position: Number(position[2]) };
  if (/^\d+-\d+-\d+$/.test(text) || /^[0-9a-f-]{36}:\d+$/i.test(text)) return { gtid: text };
  return { time: text };
}

export const params = z.object({
  /** First event of the bad import: `file:position`, a GTID, or a time (inclusive). */
  start: z.string().min(1),
  /** End of the import: `file:position` or a time (exclusive), or its last GTID (inclusive). */
  stop: z.string().min(1),
  /** Binlog files to read instead of the live server's log (comma-separated, in log order). */
  files: z.string().min(1).optional(),
  /** `wp_ep_imports.batch_id` of the bad import. */
  importBatch: z.string().min(1),
  /** Rows changed again after the import: stop (`fail`), keep them (`skip`), or revert anyway (`overwrite`). */
  onConflict: z.enum(['fail', 'skip', 'overwrite']).default('fail'),
});

export type Params = z.output<typeof params>;
