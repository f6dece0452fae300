import { sql } from 'kysely';
import type { BuildContext } from './build-context.ts';
import { datetime, epoch } from './datetime.ts';
import {
  EVENT_COLUMNS,
  type EventRow,
  PARTICIPANT_COLUMNS,
  planEvents,
  RESULT_COLUMNS,
  type Registration,
  resultValues,
  webRegistrations,
} from './ep-data.ts';
import { MIGRATION_BATCH, TIMELINE } from './incident-plan.ts';
import { phpSerialize } from './php-serialize.ts';
import { Prng } from './prng.ts';
import { generateUser, WP_USER_COLUMNS } from './wordpress-user.ts';

const USERS_PER_COMMIT = 2000;

export const META_COLUMNS = ['umeta_id', 'user_id', 'meta_key', 'meta_value'] as const;

/** Events of the site at backup time: the past seasons, and two upcoming events. */
export function backupEvents(ctx: BuildContext): {
  readonly past: EventRow[];
  readonly upcoming: EventRow[];
} {
  const pastCount = Math.max(6, Math.ceil(ctx.plan.users / 150));
  const past = planEvents(ctx.seed, 1, pastCount, '2024-01-06 00:00:00', '2026-11-14 00:00:00');
  const upcoming = planEvents(ctx.seed, pastCount + 1, 2, '2026-12-05 00:00:00', '2027-01-20 00:00:00');
  return { past, upcoming };
}

/**
 * The site as the backup sees it: N users with their usermeta, events, web registrations and results,
 * and the participants of an earlier, correct migration from the legacy system. Streams users in id
 * order and writes batched INSERTs in autocommit, so memory stays flat for 100 000 users.
 */
export async function buildSiteBeforeBackup(ctx: BuildContext): Promise<void> {
  const { tables, plan, seed } = ctx;
  await insertOptions(ctx);
  const { past, upcoming } = backupEvents(ctx);
  const events = [...past, ...upcoming];
  const eventInsert = ctx.inserter(tables.events, EVENT_COLUMNS);
  for (const e of events) await eventInsert.add(EVENT_COLUMNS.map((c) => e[c]));
  await eventInsert.flush();
  ctx.nextEventId = events.length + 1;

  const users = ctx.inserter(tables.users, WP_USER_COLUMNS);
  const meta = ctx.inserter(tables.usermeta, META_COLUMNS);
  const participants = ctx.inserter(tables.participants, PARTICIPANT_COLUMNS);
  const results = ctx.inserter(tables.results, RESULT_COLUMNS);
  const since = epoch(TIMELINE.siteSince);
  const backupAt = epoch(TIMELINE.backupAt);
  const step = Math.floor((backupAt - 86_400 - since) / plan.users);
  const migrationAt = epoch('2025-03-01 03:00:00');
  const migrationEvents = past.filter((e) => e.starts_at < '2025-03-01');

  const addParticipant = async (
    userId: number | null,
    legacyUid: number | null,
    batch: string | null,
    r: Registration,
    createdAt: number,
  ) => {
    const id = ctx.nextParticipantId++;
    const happened = epoch(r.event.starts_at) < backupAt;
    const status = happened ? r.status : r.status === 'cancelled' ? 'cancelled' : 'registered';
    const created = datetime(createdAt);
    await participants.add([
      id,
      r.event.id,
      userId,
      legacyUid,
      batch,
      r.bib,
      r.category,
      status,
      datetime(r.registeredAt),
      created,
      created,
    ]);
    if (status === 'finished') {
      const v = resultValues(Prng.for(seed, 'result', id));
      const recorded = datetime(epoch(r.event.ends_at ?? r.event.starts_at) + 3600);
      await results.add([
        ctx.nextResultId++,
        id,
        r.event.id,
        v.score,
        v.rank,
        v.finishTime,
        v.details,
        recorded,
        recorded,
        recorded,
      ]);
    }
  };

  // Commit per block of users: one fsync per block rather than per INSERT, and each transaction stays
  // far below group_replication_transaction_size_limit (150 MB by default) on an InnoDB Cluster.
  await sql`START TRANSACTION`.execute(ctx.db);
  for (let id = 1; id <= plan.users; id++) {
    if (id % USERS_PER_COMMIT === 0) {
      for (const batch of [users, meta, participants, results]) await batch.flush();
      await sql`COMMIT`.execute(ctx.db);
      await sql`START TRANSACTION`.execute(ctx.db);
    }
    const from = since + (id - 1) * step;
    const legacyUid = plan.legacyUidOf.get(id);
    const user = generateUser(seed, id, {
      registeredFrom: from,
      registeredUntil: from + step,
      ...(legacyUid !== undefined ? { legacyUid } : {}),
    });
    await users.add(WP_USER_COLUMNS.map((c) => user.row[c]));
    for (const [key, value] of user.meta) await meta.add([ctx.nextUmetaId++, id, key, value]);
    const registered = epoch(user.row.user_registered);
    for (const r of webRegistrations(seed, id, events, registered))
      await addParticipant(id, null, null, r, r.registeredAt);
    if (legacyUid !== undefined && migrationEvents.length > 0) {
      const rng = Prng.for(seed, 'migration', id);
      const event = rng.pick(migrationEvents);
      const r: Registration = {
        event,
        status: 'finished',
        bib: `L-${legacyUid}`,
        category: 'Open',
        registeredAt: epoch(event.starts_at) - rng.int(1, 60) * 86_400,
      };
      await addParticipant(id, legacyUid, MIGRATION_BATCH, r, migrationAt + id);
    }
  }
  for (const batch of [users, meta, participants, results]) await batch.flush();
  await sql`COMMIT`.execute(ctx.db);
  await sql`INSERT INTO ${tables.imports} (batch_id, source_file, importer_version, row_count, status, started_at, finished_at, notes)
    VALUES (${MIGRATION_BATCH}, ${'legacy-export-2025-02-28.csv'}, ${'ep-importer 1.4.2'}, ${countMigrated(ctx)},
            ${'completed'}, ${'2025-03-01 03:00:00'}, ${'2025-03-01 03:41:12'},
            ${'Initial migration from the legacy registration system; users matched by e-mail, UID kept in ep_legacy_uid.'})`.execute(
    ctx.db,
  );
}

function countMigrated(ctx: BuildContext): number {
  return ctx.plan.legacyUidOf.size;
}

/** A handful of `wp_options` rows so the dump looks like a real site (serialized arrays included). */
async function insertOptions(ctx: BuildContext): Promise<void> {
  const options: (readonly [string, string, string])[] = [
    ['siteurl', 'https://wpca.example.org', 'yes'],
    ['home', 'https://wpca.example.org', 'yes'],
    ['blogname', 'WPCA — Läufer-Club "Schnelle Füße" e.V.', 'yes'],
    ['admin_email', 'webmaster@wpca.example.org', 'yes'],
    ['users_can_register', '1', 'yes'],
    ['default_role', 'subscriber', 'yes'],
    [
      'active_plugins',
      phpSerialize(['event-participants/event-participants.php', 'woocommerce/woocommerce.php']),
      'yes',
    ],
    [
      'wp_user_roles',
      phpSerialize(
        Object.fromEntries(
          ['administrator', 'editor', 'author', 'contributor', 'subscriber', 'customer', 'shop_manager'].map(
            (r) => [r, { name: r.replace('_', ' '), capabilities: { read: true, level_0: true } }],
          ),
        ),
      ),
      'yes',
    ],
    [
      'ep_settings',
      phpSerialize({
        currency: 'EUR',
        label: 'Anmeldung für „Stadtlauf“',
        path: 'C:\\ep\\exports',
        open: true,
      }),
      'yes',
    ],
    ['ep_db_version', '2.3', 'yes'],
  ];
  const insert = ctx.inserter(ctx.tables.options, ['option_id', 'option_name', 'option_value', 'autoload']);
  let id = 1;
  for (const [name, value, autoload] of options) await insert.add([id++, name, value, autoload]);
  await insert.flush();
}
