import type { RunbookText } from 'rowback';

/** The runbook's prose: what happened, what was decided and why, where to read more. */
export const RUNBOOK: RunbookText = {
  context: `
WPCA runs a WordPress-based event and membership site (WordPress core tables plus the Event-Participant
(EP) plugin: \`wp_ep_events\`, \`wp_ep_imports\`, \`wp_ep_participants\`, \`wp_ep_results\`) on MySQL 8,
an InnoDB Cluster managed by the MySQL Operator for Kubernetes.

On 2026-11-20 at 09:14:07 UTC the EP import of batch \`2026-11-20-ep-import\` (ep-importer 2.3.0, the
autumn results from the legacy timing system) shipped the legacy system's \`UID\` column. The importer
took it for the WordPress user ID: wherever a user with that ID existed, it called \`wp_update_user\`
and \`update_user_meta\` with the legacy person's data — \`user_nicename\`, \`user_email\`,
\`display_name\`, and the meta keys \`first_name\`, \`last_name\`, \`nickname\`, \`billing_*\`,
\`ep_legacy_uid\` — on an unrelated, usually newer member, and attached the participant and result
rows to that member. UIDs above the highest user ID became guest participants (\`user_id\` NULL).
It was noticed at 16:40 UTC, after members had logged in, changed passwords and renewed memberships.

The last backup before the import is the Operator's scheduled dump of 2026-11-18 02:00 UTC (MySQL
Shell format); a \`mysqldump\` of the same point serves as well. This module puts back the damaged
members' rows from it, removes what the bad import created, and leaves the re-import to the fixed
importer.`,
  decisions: [
    '**Scope from the data, not from a list.** The damaged users are the batch\'s participants with `user_id = legacy_uid` (the importer\'s bug, as data), cross-checked against the backup: only users whose importer-written columns differ from it are restored. A user registered after the import whose ID equals an unmatched legacy UID is not in the scope (its participants of the batch are guests), although a naive "legacy UIDs that are user IDs now" would include it. A matched user missing from the backup (registered between backup and import) stops the run (`matched-not-in-backup` = 0): restoring it is a different problem.',
    "**Field-level allow-list (default) vs blanket replace.** `strategy=allowlist` sets back only what the importer wrote: the three `wp_users` columns and, per collided user, the importer's twelve meta keys (a key the importer inserted is deleted, one it overwrote gets its backup row back). Everything else keeps its live value, so password resets, logins, profile edits and membership renewals since the backup survive. `strategy=replace` makes the users' `wp_users` and `wp_usermeta` rows exactly the backup's; it reverts those legitimate changes. The plan shows the cost on data: the column drift profile of `wp_users` lists the columns outside the allow-list that differ (e.g. `user_pass`), and the scope `meta-changed-since-backup` counts the usermeta rows a replace would revert. Choose replace only when the importer's list of fields cannot be trusted.",
    "**Same cluster, isolated schema (default) vs standalone server.** `target=same-cluster` loads the two user tables from the dump (mysqldump file or MySQL Shell dump directory, `backup=<path>`) or copies them from a schema on the live server (`backup=<schema>`) into the module's workspace schema (`rb_20261126_wpca_uid_collision_…`, see `rowback plan`); nothing else of the backup is loaded. `target=standalone` is for a backup already restored on a standalone server (e.g. a MySQL Operator restore into a separate InnoDB Cluster): `standaloneUrl` points at it, `backup` names the schema there, and only `wp_users` and `wp_usermeta` are streamed into the workspace on the live server. Limit: the workspace itself (scopes, snapshots, before-images) always lives on the live server, because the restore joins live and backup rows in one transaction and rowback's runner opens the workspace on the target; a workspace on the standalone server is not supported.",
    "**Purge the batch, then re-import** rather than re-pointing its rows: the batch's results, then its participants, are deleted (gated on the counts the scope found, and on the import's own `row_count`), and the fixed importer creates them again. The purge and the user restore are two transactions; the purge is committed first, so an interrupted run resumes at the restore (`rowback apply --resume`).",
    "**Checks.** Inside the restore transaction: the scoped users equal the backup on the restored columns (all columns under replace). After the re-import: no participant points at a user whose `ep_legacy_uid` differs from its legacy UID, and no user outside the scope changed (per-user fingerprints of `wp_users` + `wp_usermeta` taken before the writes). The last check also sees the application's own writes during the run (a member logging in): run in a quiet window, and read any user it lists against the application log before suspecting the restore.",
  ],
  references: [
    'The incident runbook this module replaces: 11 steps (scope, extract, purge EPs and Results, restore users and meta in one transaction, re-import, verify, clean up), written by hand for the incident of 2026-11-20.',
    '`fixtures/incidents/wpca-small/README.md`: the rebuilt incident (200 users) this runbook was planned on, its timeline and ground truth.',
    '`src/demo/` (`buildIncident`): the deterministic incident builder; `rowback demo` runs this module on it.',
    '`restores/20261126-wpca-uid-collision/index.test.ts`: both strategies, both dump formats, undo, and the plan changing nothing, against the ground truth.',
    'WordPress `wp_update_user()` / `update_user_meta()`: what the importer called; `wp_users` and `wp_usermeta` as in WordPress core `schema.php`.',
  ],
};
