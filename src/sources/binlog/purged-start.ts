import { BinlogSettingError } from '../../errors/index.ts';

/** The window's start is not (or cannot be shown to be) in the log. */
export function purgedStart(what: string): BinlogSettingError {
  return new BinlogSettingError({
    setting: 'binlog_expire_logs_seconds (expire_logs_days on MariaDB)',
    expected: 'the whole window still in the log',
    found: 'its start purged',
    what,
    fix: 'copy the purged binlog files back from a backup and read them with { files: [...] }, or start the window later',
  });
}
