import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fromMysqldump, fromMysqlShellDump, fromSchema, fromServer, type Source, UsageError } from 'rowback';
import type { Params } from './params.ts';

/** Only these two tables cross from the backup: the rest of the site is not restored. */
export const BACKUP_TABLES = Object.freeze(['wp_users', 'wp_usermeta']);

export type BackupKind = 'mysqldump' | 'mysqlsh' | 'schema' | 'server';

/**
 * What `backup` is when `backupKind` is `auto`: an `s3://` URL or a directory with `@.json` is a MySQL
 * Shell dump, any other existing path is a dump file, and a name that is no path is a schema on the
 * live server.
 * Explicit kinds are taken as given (a schema that happens to share a file's name stays a schema).
 */
export function backupKind(p: Params): BackupKind {
  if (p.target === 'standalone') return 'server';
  if (p.backupKind !== 'auto') return p.backupKind;
  if (/^s3:\/\//i.test(p.backup)) return 'mysqlsh';
  if (!existsSync(p.backup)) {
    if (/[/\\]/.test(p.backup) || /\.(sql|gz|zst)$/.test(p.backup)) {
      throw new UsageError(`backup ${JSON.stringify(p.backup)} does not exist`, {
        hint: 'pass the path of the dump file or MySQL Shell dump directory, or backupKind=schema for a schema name',
      });
    }
    return 'schema';
  }
  if (!statSync(p.backup).isDirectory()) return 'mysqldump';
  if (existsSync(join(p.backup, '@.json'))) return 'mysqlsh';
  throw new UsageError(`backup directory ${p.backup} is not a MySQL Shell dump (no @.json)`, {
    hint: 'pass the dump directory itself (the one holding @.json and @.done.json)',
  });
}

/** The rowback source for the backup, reading `wp_users` and `wp_usermeta` only. */
export function backupSource(p: Params): Source {
  const tables = BACKUP_TABLES;
  switch (backupKind(p)) {
    case 'mysqldump':
      return fromMysqldump(p.backup, { tables, ...(p.backupSchema ? { database: p.backupSchema } : {}) });
    case 'mysqlsh':
      return fromMysqlShellDump(p.backup, {
        tables,
        ...(p.backupSchema ? { schema: p.backupSchema } : {}),
        ...(p.s3PathStyle === 'true' ? { s3: { forcePathStyle: true } } : {}),
      });
    case 'schema':
      return fromSchema(p.backup, { tables });
    case 'server':
      // The params' refinement guarantees the URL in standalone mode.
      return fromServer(p.standaloneUrl!, { schema: p.backup, tables });
  }
}
