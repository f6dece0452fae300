import { sql } from 'kysely';
import type { BuildContext } from './build-context.ts';
import { datetime, epoch } from './datetime.ts';
import { type EventRow, PARTICIPANT_COLUMNS, RESULT_COLUMNS, resultValues } from './ep-data.ts';
import { IMPORTER_META_KEYS, type ImportPerson, TIMELINE } from './incident-plan.ts';
import { Prng } from './prng.ts';
import { billingMeta } from './wordpress-user.ts';

export interface ImportOutcome {
  readonly participantIds: readonly number[];
  readonly resultIds: readonly number[];
}

/**
 * The bad import, as the buggy importer ran it: for every row of the legacy export it looked up the
 * WordPress user by `get_userdata($row['UID'])` — the legacy UID taken for a user ID. Found: it
 * "updated the member" (wp_update_user + update_user_meta with the legacy person's data) and attached
 * the participant and result to that unrelated user. Not found: the participant was stored as a guest
 * (user_id NULL). One transaction, like the importer's.
 */
export async function runBadImport(
  ctx: BuildContext,
  batch: string,
  events: readonly EventRow[],
): Promise<ImportOutcome> {
  const { plan, tables } = ctx;
  const participantIds: number[] = [];
  const resultIds: number[] = [];
  const importAt = epoch(TIMELINE.importAt);
  await ctx.transaction(async () => {
    await sql`INSERT INTO ${tables.imports} (batch_id, source_file, importer_version, row_count, status, started_at, notes)
      VALUES (${batch}, ${'legacy-export-2026-11-19.csv'}, ${'ep-importer 2.3.0'}, ${plan.importRowCount}, ${'running'},
              ${TIMELINE.importAt}, ${'Autumn season 2026 results from the legacy timing system.'})`.execute(
      ctx.db,
    );
    const participants = ctx.inserter(tables.participants, PARTICIPANT_COLUMNS);
    const results = ctx.inserter(tables.results, RESULT_COLUMNS);
    let second = 0;
    for (const person of plan.importPersons) {
      const userId = person.legacyUid <= plan.maxUserIdAtImport ? person.legacyUid : null;
      if (userId !== null) await overwriteUser(ctx, userId, person);
      for (const row of person.rows) {
        const rng = Prng.for(row.seed, 'import-row');
        const event = events[(person.legacyUid + row.eventIndex) % events.length]!;
        const created = datetime(importAt + Math.floor(second++ / 4));
        const id = ctx.nextParticipantId++;
        participantIds.push(id);
        await participants.add([
          id,
          event.id,
          userId,
          person.legacyUid,
          batch,
          `B-${String(rng.int(1, 99_999)).padStart(5, '0')}`,
          rng.pick(['M40', 'W35', 'Open']),
          'finished',
          datetime(epoch(event.starts_at) - rng.int(5, 40) * 86_400),
          created,
          created,
        ]);
        const v = resultValues(rng);
        const resultId = ctx.nextResultId++;
        resultIds.push(resultId);
        await results.add([
          resultId,
          id,
          event.id,
          v.score,
          v.rank,
          v.finishTime,
          v.details,
          created,
          created,
          created,
        ]);
      }
    }
    await participants.flush();
    await results.flush();
    await sql`UPDATE ${tables.imports} SET status = ${'completed'}, finished_at = ${datetime(importAt + Math.ceil(second / 4) + 2)}
      WHERE batch_id = ${batch}`.execute(ctx.db);
  });
  return Object.freeze({
    participantIds: Object.freeze(participantIds),
    resultIds: Object.freeze(resultIds),
  });
}

/**
 * What `wp_update_user()` + `update_user_meta()` did for one row, in four statements instead of one
 * SELECT and one write per key (the import of a 100 000-user site has thousands of persons).
 */
async function overwriteUser(ctx: BuildContext, userId: number, person: ImportPerson): Promise<void> {
  const { users, usermeta } = ctx.tables;
  await sql`UPDATE ${users}
    SET user_nicename = ${person.nicename}, user_email = ${person.email}, display_name = ${person.displayName}
    WHERE ID = ${userId}`.execute(ctx.db);
  const values = new Map<string, string>([
    ['first_name', person.first],
    ['last_name', person.last],
    ['nickname', person.first],
    ...billingMeta(person.billing),
    ['ep_legacy_uid', String(person.legacyUid)],
  ]);
  const keys = IMPORTER_META_KEYS.map((key) => {
    const value = values.get(key);
    if (value === undefined) throw new Error(`importer value for ${key} missing`);
    return [key, value] as const;
  });
  const { rows } = await sql<{ meta_key: string }>`
    SELECT DISTINCT meta_key FROM ${usermeta}
    WHERE user_id = ${userId} AND meta_key IN (${sql.join(keys.map(([key]) => key))})`.execute(ctx.db);
  const present = new Set(rows.map((r) => r.meta_key));
  const update = keys.filter(([key]) => present.has(key));
  if (update.length > 0) {
    const cases = sql.join(
      update.map(([key, value]) => sql`WHEN ${key} THEN ${value}`),
      sql` `,
    );
    await sql`UPDATE ${usermeta} SET meta_value = CASE meta_key ${cases} END
      WHERE user_id = ${userId} AND meta_key IN (${sql.join(update.map(([key]) => key))})`.execute(ctx.db);
  }
  const insert = keys.filter(([key]) => !present.has(key));
  if (insert.length > 0) {
    const rowsSql = insert.map(([key, value]) => sql`(${ctx.nextUmetaId++}, ${userId}, ${key}, ${value})`);
    await sql`INSERT INTO ${usermeta} (umeta_id, user_id, meta_key, meta_value) VALUES ${sql.join(rowsSql)}`.execute(
      ctx.db,
    );
  }
}
