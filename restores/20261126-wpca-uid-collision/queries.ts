import { rowFingerprintSql, type Scope, sql, type TableRef } from 'rowback';
import {
  IMPORTER_META_KEYS,
  IMPORTER_USER_COLUMNS,
  USER_COLUMNS,
  USERMETA_COLUMNS,
} from './importer-fields.ts';

/** The live tables the queries read. */
export interface LiveTables {
  readonly users: TableRef;
  readonly usermeta: TableRef;
  readonly imports: TableRef;
  readonly participants: TableRef;
  readonly results: TableRef;
}

/** The import's own record agrees with its rows: `row_count` equals the participants it left. */
export const importRecord = (t: LiveTables, batch: string) => sql`
  SELECT i.batch_id FROM ${t.imports} AS i
  WHERE i.batch_id = ${batch}
    AND i.row_count = (SELECT COUNT(*) FROM ${t.participants} AS p WHERE p.import_batch = i.batch_id)`;

export const batchParticipants = (t: LiveTables, batch: string) => sql`
  SELECT p.id FROM ${t.participants} AS p WHERE p.import_batch = ${batch}`;

export const batchResults = (t: LiveTables, participants: Scope) => sql`
  SELECT r.id FROM ${t.results} AS r JOIN ${participants.table} AS s ON s.id = r.participant_id`;

/**
 * The importer's bug, as data: it stored the legacy UID as the user ID whenever a user of that ID
 * existed, so exactly those rows have `user_id = legacy_uid`. Unmatched UIDs became guests (NULL), so a
 * user registered later with such an ID (the trap) is not here, unlike in "legacy UIDs that are IDs now".
 */
export const matchedUids = (t: LiveTables, batch: string) => sql`
  SELECT DISTINCT p.user_id AS ID FROM ${t.participants} AS p
  WHERE p.import_batch = ${batch} AND p.user_id IS NOT NULL AND p.user_id = p.legacy_uid`;

/** Matched users the backup does not have (registered between backup and import): no row to restore. */
export const matchedWithoutBackup = (matched: Scope, backupUsers: TableRef) => sql`
  SELECT m.ID FROM ${matched.table} AS m LEFT JOIN ${backupUsers} AS b ON b.ID = m.ID WHERE b.ID IS NULL`;

/** Byte-wise, NULL-safe: collations would call 'Anna' and 'anna' equal. */
const sameBytes = (column: string, left = 'l', right = 'b') =>
  sql`CAST(${sql.ref(`${left}.${column}`)} AS BINARY) <=> CAST(${sql.ref(`${right}.${column}`)} AS BINARY)`;

/** The cross-check: matched users whose importer-written columns differ from the backup. */
export const collidedUsers = (t: LiveTables, matched: Scope, backupUsers: TableRef) => sql`
  SELECT m.ID FROM ${matched.table} AS m
  JOIN ${t.users} AS l ON l.ID = m.ID
  JOIN ${backupUsers} AS b ON b.ID = m.ID
  WHERE NOT (${sql.join(
    IMPORTER_USER_COLUMNS.map((c) => sameBytes(c)),
    sql` AND `,
  )})`;

const importerKeys = () =>
  sql.join(
    IMPORTER_META_KEYS.map((k) => sql`${k}`),
    sql`, `,
  );

/** (user_id, meta_key) = collided users × the importer's meta keys: the allow-list of `wp_usermeta`. */
export const collidedMeta = (collided: Scope) => sql`
  SELECT c.ID AS user_id, k.meta_key FROM ${collided.table} AS c
  CROSS JOIN (${sql.join(
    IMPORTER_META_KEYS.map((k) => sql`SELECT ${k} AS meta_key`),
    sql` UNION ALL `,
  )}) AS k`;

/**
 * Usermeta rows of the collided users, outside the importer's keys, that changed since the backup
 * (new, changed or gone): life after the backup. A blanket replace reverts them; the allow-list keeps them.
 */
export const metaChangedSinceBackup = (t: LiveTables, collided: Scope, backupMeta: TableRef) => {
  const same = sql.join(
    ['user_id', 'meta_key', 'meta_value'].map((c) => sameBytes(c)),
    sql` AND `,
  );
  return sql`
    SELECT l.umeta_id FROM ${t.usermeta} AS l JOIN ${collided.table} AS c ON c.ID = l.user_id
    LEFT JOIN ${backupMeta} AS b ON b.umeta_id = l.umeta_id AND ${same}
    WHERE l.meta_key NOT IN (${importerKeys()}) AND b.umeta_id IS NULL
    UNION
    SELECT b.umeta_id FROM ${backupMeta} AS b JOIN ${collided.table} AS c ON c.ID = b.user_id
    LEFT JOIN ${t.usermeta} AS l ON l.umeta_id = b.umeta_id AND ${same}
    WHERE b.meta_key NOT IN (${importerKeys()}) AND l.umeta_id IS NULL`;
};

/**
 * One fingerprint per user over its `wp_users` row and all its `wp_usermeta` rows (order-independent:
 * count and BIT_XOR of the row hashes, like rowback's `hashRows`).
 */
const userFingerprints = (t: LiveTables) => sql`
  SELECT u.ID, MD5(CONCAT(${sql.raw(rowFingerprintSql('u', USER_COLUMNS))}, '/', COALESCE(m.h, '-'))) AS fingerprint
  FROM ${t.users} AS u
  LEFT JOIN (
    SELECT x.user_id, CONCAT(COUNT(*), ':',
      BIT_XOR(CAST(CONV(SUBSTRING(x.h, 1, 16), 16, 10) AS UNSIGNED)), ':',
      BIT_XOR(CAST(CONV(SUBSTRING(x.h, 17, 16), 16, 10) AS UNSIGNED))) AS h
    FROM (SELECT t.user_id, ${sql.raw(rowFingerprintSql('t', USERMETA_COLUMNS))} AS h FROM ${t.usermeta} AS t) AS x
    GROUP BY x.user_id
  ) AS m ON m.user_id = u.ID`;

/** Every user outside the scope with its fingerprint, taken before anything is written. */
export const unscopedFingerprints = (t: LiveTables, collided: Scope) => sql`
  SELECT f.ID, f.fingerprint FROM (${userFingerprints(t)}) AS f
  LEFT JOIN ${collided.table} AS c ON c.ID = f.ID WHERE c.ID IS NULL`;

/** Unscoped users whose fingerprint is not what it was before the run (changed or deleted). */
export const unscopedChanged = (t: LiveTables, before: Scope) => sql`
  SELECT s.ID FROM ${before.table} AS s
  LEFT JOIN (${userFingerprints(t)}) AS f ON f.ID = s.ID AND f.fingerprint = s.fingerprint
  WHERE f.ID IS NULL`;

/** Participants tied to a user whose `ep_legacy_uid` is not the participant's legacy UID. */
export const foreignParticipants = (t: LiveTables) => sql`
  SELECT p.id FROM ${t.participants} AS p
  WHERE p.user_id IS NOT NULL AND p.legacy_uid IS NOT NULL
    AND NOT EXISTS (
      SELECT 1 FROM ${t.usermeta} AS m
      WHERE m.user_id = p.user_id AND m.meta_key = 'ep_legacy_uid'
        AND m.meta_value COLLATE utf8mb4_bin = CAST(p.legacy_uid AS CHAR CHARACTER SET utf8mb4) COLLATE utf8mb4_bin)`;

/** Results still attached to a participant of the batch (none may survive the purge). */
export const resultsOfBatch = (t: LiveTables, participants: Scope) => sql`
  SELECT r.id FROM ${t.results} AS r JOIN ${participants.table} AS s ON s.id = r.participant_id`;

export const participantsOfBatch = (t: LiveTables, batch: string) => batchParticipants(t, batch);
