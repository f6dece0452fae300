import { isDeepStrictEqual } from 'node:util';
import type { Incident, Row } from '../../demo/index.ts';
import type { Sandbox } from '../../testing/index.ts';
import { type GroundTruthCheck, readUserRows, type UserRows } from './demo-ground-truth.ts';

/** The collided users' rows before the import, right after it, and at the end of the incident. */
export interface ImportPhases {
  readonly pre: UserRows;
  readonly post: UserRows;
  readonly final: UserRows;
}

/**
 * What a revert from the binary log must give, from the phase copies alone: the rows at the end of
 * the incident, where every row the import changed (it differs between before and after the import)
 * is back as it was before, and every other row — later changes included — is as it is.
 */
export function binlogExpected(phases: ImportPhases, table: 'wp_users' | 'wp_usermeta'): Row[] {
  const key = table === 'wp_users' ? 'ID' : 'umeta_id';
  const byKey = (rows: readonly Row[]) => new Map(rows.map((r) => [String(r[key]), r]));
  const pre = byKey(phases.pre.scoped[table]);
  const post = byKey(phases.post.scoped[table]);
  const result = byKey(phases.final.scoped[table]);
  for (const id of new Set([...pre.keys(), ...post.keys()])) {
    if (isDeepStrictEqual(pre.get(id), post.get(id))) continue;
    const before = pre.get(id);
    if (before) result.set(id, before);
    else result.delete(id);
  }
  return [...result.values()].sort((a, b) => Number(a[key]) - Number(b[key]));
}

/** `rowback demo --source binlog`: the live data after the revert against that ground truth. */
export async function checkBinlogGroundTruth(
  box: Sandbox,
  incident: Incident,
  phases: ImportPhases,
  before: UserRows,
): Promise<GroundTruthCheck> {
  const after = await readUserRows(box, incident.collidedUserIds);
  const users = binlogExpected(phases, 'wp_users');
  const meta = binlogExpected(phases, 'wp_usermeta');
  const participants = new Set((await box.rows('wp_ep_participants')).map((r) => Number(r.id)));
  const logins = incident.legitimateChanges.filter((c) => c.phase === 'after-import' && c.kind === 'login');
  const facts: [boolean, string][] = [
    [
      isDeepStrictEqual(after.scoped.wp_users, users),
      `wp_users of the ${incident.collidedUserIds.length} collided users are as they were just before the import (${users.length} rows)`,
    ],
    [
      isDeepStrictEqual(after.scoped.wp_usermeta, meta),
      `their wp_usermeta rows the import wrote are back, and the ${logins.length} logins after it are kept (${meta.length} rows)`,
    ],
    [
      isDeepStrictEqual(after.unscoped, before.unscoped),
      `the other ${before.unscoped.wp_users.length} users (the trap user ${incident.trapUserId} among them) and their ${before.unscoped.wp_usermeta.length} meta rows are untouched`,
    ],
    [
      incident.imported.participantIds.every((id) => !participants.has(id)),
      `the ${incident.imported.participantIds.length} participants the bad import created are gone (and its results with them)`,
    ],
  ];
  return Object.freeze({
    ok: facts.every(([ok]) => ok),
    lines: Object.freeze(facts.map(([ok, text]) => `${ok ? '✓' : '✗'} ${text}`)),
  });
}
