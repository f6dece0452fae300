import { isDeepStrictEqual } from 'node:util';
import type { Incident, Row } from '../../demo/index.ts';
import type { Sandbox } from '../../testing/index.ts';

/** The live user rows, split into the collided users' and everybody else's. */
export interface UserRows {
  readonly scoped: { readonly wp_users: readonly Row[]; readonly wp_usermeta: readonly Row[] };
  readonly unscoped: { readonly wp_users: readonly Row[]; readonly wp_usermeta: readonly Row[] };
}

export async function readUserRows(box: Sandbox, collided: readonly number[]): Promise<UserRows> {
  const ids = new Set(collided.map(String));
  const users = await box.rows('wp_users', { orderBy: 'ID' });
  const meta = await box.rows('wp_usermeta', { orderBy: 'umeta_id' });
  const split = (rows: readonly Row[], key: string, inScope: boolean) =>
    rows.filter((r) => ids.has(String(r[key])) === inScope);
  return {
    scoped: { wp_users: split(users, 'ID', true), wp_usermeta: split(meta, 'user_id', true) },
    unscoped: { wp_users: split(users, 'ID', false), wp_usermeta: split(meta, 'user_id', false) },
  };
}

export interface GroundTruthCheck {
  readonly ok: boolean;
  /** One line per fact checked, `✓` or `✗` first. */
  readonly lines: readonly string[];
}

/**
 * Compares the live data after the apply with the incident's ground truth: the collided users' rows
 * equal the expected state row for row, every other user is as it was before the apply, and the
 * rows the bad import created are gone.
 */
export async function checkGroundTruth(
  box: Sandbox,
  incident: Incident,
  strategy: 'replace' | 'allowlist',
  before: UserRows,
): Promise<GroundTruthCheck> {
  const after = await readUserRows(box, incident.collidedUserIds);
  const expected = incident.expected[strategy];
  const ids = async (table: string) => new Set((await box.rows(table)).map((r) => Number(r.id)));
  const participants = await ids('wp_ep_participants');
  const results = await ids('wp_ep_results');
  const facts: [boolean, string][] = [
    [
      isDeepStrictEqual(after.scoped.wp_users, expected.wp_users),
      `wp_users of the ${incident.collidedUserIds.length} collided users equal the expected ${strategy} state (${expected.wp_users.length} rows)`,
    ],
    [
      isDeepStrictEqual(after.scoped.wp_usermeta, expected.wp_usermeta),
      `their wp_usermeta equals the expected ${strategy} state row for row (${expected.wp_usermeta.length} rows)`,
    ],
    [
      isDeepStrictEqual(after.unscoped, before.unscoped),
      `the other ${before.unscoped.wp_users.length} users (the trap user ${incident.trapUserId} among them) and their ${before.unscoped.wp_usermeta.length} meta rows are untouched`,
    ],
    [
      incident.imported.participantIds.every((id) => !participants.has(id)) &&
        incident.imported.resultIds.every((id) => !results.has(id)),
      `the ${incident.imported.participantIds.length} participants and ${incident.imported.resultIds.length} results the bad import created are gone`,
    ],
  ];
  return Object.freeze({
    ok: facts.every(([ok]) => ok),
    lines: Object.freeze(facts.map(([ok, text]) => `${ok ? '✓' : '✗'} ${text}`)),
  });
}
