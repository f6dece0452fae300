import type { TableRef } from '../db/index.ts';
import type { LegitimateChange } from './incident-plan.ts';

/** A row as the driver returns it (`SELECT *`): bigints and decimals as strings, DATETIME as text. */
export type Row = Readonly<Record<string, unknown>>;

/** The scoped rows of one restore outcome: `wp_users` and `wp_usermeta` of the collided users. */
export interface ExpectedState {
  /** Ordered by `ID`. */
  readonly wp_users: readonly Row[];
  /** Ordered by `umeta_id`. */
  readonly wp_usermeta: readonly Row[];
}

/** What a build phase has just finished; `onPhase` is called after each, with its data committed. */
export type IncidentPhase = 'backup' | 'after-backup' | 'import' | 'after-import';

/** The frozen description `buildIncident` returns: where things are, and the ground truth. */
export interface Incident {
  readonly seed: number;
  /** The live schema the incident was built in. */
  readonly schema: string;
  readonly tables: {
    readonly users: TableRef;
    readonly usermeta: TableRef;
    readonly events: TableRef;
    readonly imports: TableRef;
    readonly participants: TableRef;
    readonly results: TableRef;
  };
  /** Users in the backup (IDs 1..usersInBackup). */
  readonly usersInBackup: number;
  readonly maxUserIdAtImport: number;
  /** The `mariadb-dump` / `mysqldump` file of the backup. */
  readonly backupFile: string;
  /** The exact command line of the dump (password never included). */
  readonly backupCommand: readonly string[];
  /** The MySQL Shell format dump directory of the same backup. */
  readonly shellDumpDir: string;
  readonly timeline: { readonly backupAt: string; readonly importAt: string; readonly noticedAt: string };
  readonly importBatch: string;
  /** Ground truth: users whose rows the import overwrote. Sorted. */
  readonly collidedUserIds: readonly number[];
  /** Legacy UIDs in the batch that matched no user at import time. Sorted. */
  readonly nonCollidedLegacyUids: readonly number[];
  /** Registered after the import with an ID equal to a non-collided legacy UID: not damaged, must stay. */
  readonly trapUserId: number;
  /** The `wp_users` columns and `wp_usermeta` keys the importer wrote: the allow-list. */
  readonly importerTouched: { readonly userColumns: readonly string[]; readonly metaKeys: readonly string[] };
  /** Legitimate changes after the backup and after the import (registrations included). */
  readonly legitimateChanges: readonly LegitimateChange[];
  /** IDs of the EP rows the import created (the purge must remove exactly these). Sorted. */
  readonly imported: { readonly participantIds: readonly number[]; readonly resultIds: readonly number[] };
  /** Row counts of the EP and user tables in the backup and at the end of the build. */
  readonly rowCounts: {
    readonly backup: Readonly<Record<string, number>>;
    readonly live: Readonly<Record<string, number>>;
  };
  /** Scoped rows after a correct restore, per strategy. Everything outside the scope stays as it is. */
  readonly expected: {
    /** Blanket replace: the collided users' wp_users and wp_usermeta rows equal the backup. */
    readonly replace: ExpectedState;
    /** Allow-list: only importer-touched columns and meta keys revert; legitimate changes stay. */
    readonly allowlist: ExpectedState;
  };
}
