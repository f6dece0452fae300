import { sql } from 'kysely';
import type { BuildContext } from './build-context.ts';
import { datetime } from './datetime.ts';
import { bib, category, type EventRow, PARTICIPANT_COLUMNS } from './ep-data.ts';
import type { LegitimateChange } from './incident-plan.ts';
import { phpSerialize } from './php-serialize.ts';
import { Prng } from './prng.ts';
import { META_COLUMNS } from './site-before-backup.ts';
import { DESCRIPTIONS } from './vocabulary.ts';
import { generateUser, passwordHash, sessionTokens, WP_USER_COLUMNS } from './wordpress-user.ts';

/**
 * Applies the plan's legitimate changes of one phase, in time order, in one transaction. Every change
 * makes each field it lists differ from the backup, so a test can see it survive (or not).
 * Registrations also sign up for `event` through the website (no import batch).
 */
export async function applyLegitimateChanges(
  ctx: BuildContext,
  phase: LegitimateChange['phase'],
  event: EventRow,
): Promise<void> {
  const changes = ctx.plan.legitimateChanges.filter((c) => c.phase === phase).sort((a, b) => a.at - b.at);
  await ctx.transaction(async () => {
    for (const change of changes) await applyChange(ctx, change, event);
  });
}

async function applyChange(ctx: BuildContext, change: LegitimateChange, event: EventRow): Promise<void> {
  const { users } = ctx.tables;
  const rng = Prng.for(ctx.seed, 'change', change.kind, change.userId, change.at);
  const id = change.userId;
  const at = datetime(change.at);
  switch (change.kind) {
    case 'registration': {
      const user = generateUser(ctx.seed, id, { registeredFrom: change.at, registeredUntil: change.at });
      const insertUser = ctx.inserter(users, WP_USER_COLUMNS);
      await insertUser.add(WP_USER_COLUMNS.map((c) => user.row[c]));
      await insertUser.flush();
      const meta = ctx.inserter(ctx.tables.usermeta, META_COLUMNS);
      for (const [key, value] of user.meta) await meta.add([ctx.nextUmetaId++, id, key, value]);
      await meta.flush();
      await registerOnWebsite(ctx, id, event, rng, at);
      return;
    }
    case 'password-reset':
      // A new password from the profile screen: wp_update_user() hashes it and WordPress destroys the
      // other sessions, keeping the current one (a fresh session_tokens value).
      await sql`UPDATE ${users} SET user_pass = ${passwordHash(rng)} WHERE ID = ${id}`.execute(ctx.db);
      await ctx.deleteMeta(id, 'session_tokens');
      await ctx.setMeta(id, 'session_tokens', sessionTokens(rng, id, change.at, 1));
      return;
    case 'profile-edit':
      await ctx.setMeta(
        id,
        'description',
        `${rng.pick(DESCRIPTIONS.filter(Boolean))} (edited ${at.slice(0, 10)})`,
      );
      await ctx.setMeta(id, 'locale', `${rng.pick(['de_CH', 'fr_BE', 'uk'])}`);
      return;
    case 'membership-renewal':
      // A renewed member signs up for the next event on the website: an EP row no purge may touch.
      await registerOnWebsite(ctx, id, event, rng, at);
      await ctx.setMeta(
        id,
        'ep_membership',
        phpSerialize({
          level: 'club+',
          since: at,
          expires: datetime(change.at + 86_400 * 365),
          renewed: true,
          newsletter: true,
        }),
      );
      return;
    case 'role-change':
      await ctx.setMeta(id, 'wp_capabilities', phpSerialize({ ep_event_manager: true }));
      await ctx.setMeta(id, 'wp_user_level', '3');
      return;
    case 'email-change':
      await sql`UPDATE ${users} SET user_email = CONCAT(user_login, ${'+new@example.com'}),
        display_name = CONCAT(display_name, ${' (Club)'}) WHERE ID = ${id}`.execute(ctx.db);
      return;
    case 'login':
      await ctx.setMeta(id, 'session_tokens', sessionTokens(rng, id, change.at, 1));
      return;
  }
}

async function registerOnWebsite(
  ctx: BuildContext,
  userId: number,
  event: EventRow,
  rng: Prng,
  at: string,
): Promise<void> {
  const participant = ctx.inserter(ctx.tables.participants, PARTICIPANT_COLUMNS);
  await participant.add([
    ctx.nextParticipantId++,
    event.id,
    userId,
    null,
    null,
    bib(rng),
    category(rng),
    'registered',
    at,
    at,
    at,
  ]);
  await participant.flush();
}
