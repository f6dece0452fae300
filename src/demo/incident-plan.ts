import { epoch } from './datetime.ts';
import { Prng } from './prng.ts';
import { FIRST_NAMES, LAST_NAMES } from './vocabulary.ts';
import { type BillingAddress, randomAddress } from './wordpress-user.ts';

/** The incident's timeline (UTC). The restore module is dated the day it was written: 2026-11-26. */
export const TIMELINE = Object.freeze({
  siteSince: '2015-01-01 00:00:00',
  backupAt: '2026-11-18 02:00:00',
  importAt: '2026-11-20 09:14:07',
  noticedAt: '2026-11-20 16:40:00',
});

export const DEFAULT_IMPORT_BATCH = '2026-11-20-ep-import';
/** An earlier, correct migration from the legacy system: its rows show what right looks like. */
export const MIGRATION_BATCH = '2025-03-01-legacy-migration';

/** `wp_users` columns the buggy importer overwrote (through `wp_update_user`). */
export const IMPORTER_USER_COLUMNS = Object.freeze(['user_nicename', 'user_email', 'display_name'] as const);
/** `wp_usermeta` keys the buggy importer wrote (through `update_user_meta`, inserting missing ones). */
export const IMPORTER_META_KEYS = Object.freeze([
  'first_name',
  'last_name',
  'nickname',
  'billing_first_name',
  'billing_last_name',
  'billing_address_1',
  'billing_city',
  'billing_postcode',
  'billing_country',
  'billing_email',
  'billing_phone',
  'ep_legacy_uid',
] as const);

export type ChangeKind =
  | 'password-reset'
  | 'profile-edit'
  | 'membership-renewal'
  | 'role-change'
  | 'email-change'
  | 'login'
  | 'registration';

/** A legitimate change made by a user or an admin, which a correct restore must keep (allow-list). */
export interface LegitimateChange {
  readonly userId: number;
  readonly phase: 'after-backup' | 'after-import';
  readonly kind: ChangeKind;
  readonly at: number;
  /** The `wp_users` columns it changed, each to a value unlike the backup's (`*` for a registration). */
  readonly userColumns: readonly string[];
  /** The `wp_usermeta` keys it changed, inserted or deleted. */
  readonly metaKeys: readonly string[];
}

/** One row of the legacy export the bad import read: a person, an event, a result. */
export interface ImportRow {
  readonly eventIndex: number;
  readonly seed: number;
}

/** A person from the legacy system, as the bad import saw them. */
export interface ImportPerson {
  readonly legacyUid: number;
  readonly first: string;
  readonly last: string;
  readonly nicename: string;
  readonly email: string;
  readonly displayName: string;
  readonly billing: BillingAddress;
  readonly rows: readonly ImportRow[];
}

/** Everything about the incident that follows from `(users, seed)` alone, before any SQL runs. */
export interface IncidentPlan {
  readonly seed: number;
  /** Users in the backup: IDs 1..users. */
  readonly users: number;
  /** Registrations between backup and import: IDs users+1..maxUserIdAtImport. */
  readonly usersRegisteredAfterBackup: number;
  readonly maxUserIdAtImport: number;
  /** Registrations after the import (before it was noticed): they take IDs right above maxUserIdAtImport. */
  readonly usersRegisteredAfterImport: number;
  /** `ep_legacy_uid` of users migrated from the legacy system before the backup. */
  readonly legacyUidOf: ReadonlyMap<number, number>;
  readonly importPersons: readonly ImportPerson[];
  readonly importRowCount: number;
  /** Ground truth: user IDs the import overwrote (legacy UID ≤ max user ID at import time). Sorted. */
  readonly collidedUserIds: readonly number[];
  /** Legacy UIDs of the batch that matched no user at import time. Sorted. */
  readonly nonCollidedLegacyUids: readonly number[];
  readonly legitimateChanges: readonly LegitimateChange[];
}

export interface PlanOptions {
  readonly users: number;
  readonly seed: number;
  /** People in the bad import; default max(16, 5 % of users). */
  readonly importPersons?: number;
}

/** The smallest site the plan supports: below it the legacy UID space is too small for both outcomes. */
export const MIN_USERS = 50;

const KINDS_ON_COLLIDED: readonly ChangeKind[] = [
  'password-reset',
  'profile-edit',
  'membership-renewal',
  'role-change',
];
const KINDS_ELSEWHERE: readonly ChangeKind[] = [...KINDS_ON_COLLIDED, 'email-change'];

/** Columns and keys each kind of legitimate change writes (see `life-after-backup.ts`). */
export const CHANGE_FIELDS: Readonly<
  Record<ChangeKind, { readonly userColumns: readonly string[]; readonly metaKeys: readonly string[] }>
> = {
  'password-reset': { userColumns: ['user_pass'], metaKeys: ['session_tokens'] },
  'profile-edit': { userColumns: [], metaKeys: ['description', 'locale'] },
  'membership-renewal': { userColumns: [], metaKeys: ['ep_membership'] },
  'role-change': { userColumns: [], metaKeys: ['wp_capabilities', 'wp_user_level'] },
  'email-change': { userColumns: ['user_email', 'display_name'], metaKeys: [] },
  login: { userColumns: [], metaKeys: ['session_tokens'] },
  registration: { userColumns: ['*'], metaKeys: ['*'] },
};

/**
 * Plans the incident. The legacy UIDs share the number range of WordPress user IDs (that is the bug):
 * they are drawn from 1..1.35 × max user ID, so most import rows hit an existing user and some do not.
 * Two choices keep the ground truth exact: no legacy UID of the batch falls on a user registered between
 * backup and import (such a user has no backup to restore from), and the first user registered after
 * the import gets an ID equal to a non-collided legacy UID — a trap for a scope that only asks "which
 * legacy UIDs are user IDs now".
 */
export function planIncident(options: PlanOptions): IncidentPlan {
  const { users, seed } = options;
  if (!Number.isInteger(users) || users < MIN_USERS) {
    throw new RangeError(`users must be an integer ≥ ${MIN_USERS}, got ${users}`);
  }
  const rng = Prng.for(seed, 'plan');
  const usersRegisteredAfterBackup = Math.max(3, Math.ceil(users * 0.02));
  const maxUserIdAtImport = users + usersRegisteredAfterBackup;
  const usersRegisteredAfterImport = 2;
  const trapUid = maxUserIdAtImport + 1;
  const legacySpace = Math.ceil(maxUserIdAtImport * 1.35);
  const candidates: number[] = [];
  for (let uid = 1; uid <= legacySpace; uid++) {
    if ((uid > users && uid <= maxUserIdAtImport) || uid === trapUid) continue;
    candidates.push(uid);
  }
  const pool = rng.shuffle(candidates);
  let next = 0;

  const legacyUidOf = new Map<number, number>();
  for (let id = 1; id <= users; id++) {
    if (Prng.for(seed, 'migrated', id).chance(0.2)) legacyUidOf.set(id, pool[next++]!);
  }

  const personCount = options.importPersons ?? Math.max(16, Math.ceil(users * 0.05));
  if (next + personCount > pool.length)
    throw new RangeError(`too many import persons (${personCount}) for ${users} users`);
  const uids = [trapUid, ...pool.slice(next, next + personCount - 1)];
  const importPersons = uids.map((legacyUid) => importPerson(seed, legacyUid));
  const collided = uids.filter((uid) => uid <= maxUserIdAtImport).sort((a, b) => a - b);
  const nonCollided = uids.filter((uid) => uid > maxUserIdAtImport).sort((a, b) => a - b);
  if (collided.length === 0) throw new RangeError(`seed ${seed} gives no collision; use another seed`);

  const legitimateChanges = planLegitimateChanges(rng, {
    users,
    collided,
    maxUserIdAtImport,
    usersRegisteredAfterImport,
  });
  return Object.freeze({
    seed,
    users,
    usersRegisteredAfterBackup,
    maxUserIdAtImport,
    usersRegisteredAfterImport,
    legacyUidOf,
    importPersons: Object.freeze(importPersons),
    importRowCount: importPersons.reduce((sum, p) => sum + p.rows.length, 0),
    collidedUserIds: Object.freeze(collided),
    nonCollidedLegacyUids: Object.freeze(nonCollided),
    legitimateChanges: Object.freeze(legitimateChanges),
  });
}

function importPerson(seed: number, legacyUid: number): ImportPerson {
  const rng = Prng.for(seed, 'legacy-person', legacyUid);
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const local = [first.ascii, last.ascii].filter(Boolean).join('.') || `member${legacyUid}`;
  const email = `${local}.${legacyUid}@legacy-club.example`;
  const address = randomAddress(rng);
  const rows = Array.from({ length: rng.chance(0.2) ? 2 : 1 }, (_, i) => ({
    eventIndex: i,
    seed: rng.uint32(),
  }));
  return Object.freeze({
    legacyUid,
    first: first.text,
    last: last.text,
    nicename: `${local.replace(/\./g, '-')}-${legacyUid}`.slice(0, 50),
    email,
    displayName: `${first.text} ${last.text}`,
    billing: { first: first.text, last: last.text, email, ...address },
    rows: Object.freeze(rows),
  });
}

function planLegitimateChanges(
  rng: Prng,
  site: {
    readonly users: number;
    readonly collided: readonly number[];
    readonly maxUserIdAtImport: number;
    readonly usersRegisteredAfterImport: number;
  },
): LegitimateChange[] {
  const backupAt = epoch(TIMELINE.backupAt);
  const importAt = epoch(TIMELINE.importAt);
  const noticedAt = epoch(TIMELINE.noticedAt);
  const change = (userId: number, phase: LegitimateChange['phase'], kind: ChangeKind, at: number) =>
    Object.freeze({ userId, phase, kind, at, ...CHANGE_FIELDS[kind] });
  const changes: LegitimateChange[] = [];

  // Registrations between backup and import: they only exist in live.
  for (let id = site.users + 1; id <= site.maxUserIdAtImport; id++) {
    changes.push(change(id, 'after-backup', 'registration', rng.int(backupAt, importAt - 3600)));
  }
  // Users the import later hits: ~40 %, every kind of change that stays outside the importer's fields.
  const collidedShuffled = rng.shuffle(site.collided);
  const onCollided = collidedShuffled.slice(0, Math.max(2, Math.ceil(site.collided.length * 0.4)));
  onCollided.forEach((id, i) => {
    changes.push(
      change(
        id,
        'after-backup',
        KINDS_ON_COLLIDED[i % KINDS_ON_COLLIDED.length]!,
        rng.int(backupAt, importAt - 60),
      ),
    );
  });
  // Users the import does not hit, including changes of fields the importer also writes.
  const collidedSet = new Set(site.collided);
  const elsewhere = Math.max(5, Math.ceil(site.users * 0.01));
  const chosen = new Set<number>();
  while (chosen.size < elsewhere) {
    const id = rng.int(1, site.users);
    if (!collidedSet.has(id)) chosen.add(id);
  }
  [...chosen].forEach((id, i) => {
    changes.push(
      change(
        id,
        'after-backup',
        KINDS_ELSEWHERE[i % KINDS_ELSEWHERE.length]!,
        rng.int(backupAt, importAt - 60),
      ),
    );
  });
  // Life goes on after the import until someone notices: logins of hit users, new registrations.
  for (const id of collidedShuffled.slice(0, Math.max(1, Math.ceil(site.collided.length * 0.25)))) {
    changes.push(change(id, 'after-import', 'login', rng.int(importAt + 600, noticedAt - 600)));
  }
  for (let i = 1; i <= site.usersRegisteredAfterImport; i++) {
    changes.push(
      change(
        site.maxUserIdAtImport + i,
        'after-import',
        'registration',
        rng.int(importAt + 600, noticedAt - 600),
      ),
    );
  }
  return changes;
}
