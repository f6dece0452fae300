import type { RunbookText } from 'rowback';

/** The runbook's prose for the binary-log variant of the WPCA restore. */
export const RUNBOOK: RunbookText = {
  context: `
The WPCA UID-collision incident (see the module \`20261126-wpca-uid-collision\`): the EP import of batch
\`2026-11-20-ep-import\` took legacy UIDs for WordPress user IDs and wrote onto unrelated members. This
variant needs no backup: the cluster logs rows (\`binlog_format=ROW\`, \`binlog_row_image=FULL\`, the
InnoDB Cluster defaults), so the binary log holds every row the import changed, its value just before,
and every change made after it. The window is the import's transactions, given by binlog position,
GTID or time.`,
  decisions: [
    '**The log, not the backup.** The before-images are the rows as they were immediately before the import, so changes made between the last backup and the import (password resets, e-mail changes) are kept, which no restore from the backup can do.',
    '**Three-way, never blind.** A row is reverted only where live still holds what the import wrote. A row changed after the import (a member edited the very field) is a conflict: `onConflict=fail` (default) stops and lists them with field diffs; `skip` reverts the others; `overwrite` reverts them too. `mariadb-binlog --flashback` would overwrite them silently.',
    "**Gates tie the window to the import.** Every participant the window wrote belongs to the batch, every user it changed is one the importer matched by legacy UID, and the import's own record is present: a window given one transaction too wide stops the run.",
  ],
  references: [
    'Module 20261126-wpca-uid-collision (the same incident restored from the backup)',
    'MariaDB: mariadb-binlog --flashback; MySQL: binlog_row_image, binlog_row_value_options',
  ],
};
