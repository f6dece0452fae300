import type { Incident } from '../../demo/index.ts';

/** The short explanations `rowback demo` prints between its outputs, so a newcomer can follow it. */
export const INTRO = `rowback demo: the WPCA UID-collision incident, rebuilt on a throwaway server and restored.

A WordPress event site imported Event-Participant rows whose legacy UID the importer took for the
WordPress user ID: it overwrote unrelated members' wp_users / wp_usermeta rows and attached
participants and results to them. The demo builds such a site, takes a real backup, lets the bad
import happen, then runs the restore module restores/20261126-wpca-uid-collision: plan, apply,
verify against the ground truth, and the runbook. Nothing outside the demo's own server is touched.`;

export function groundTruth(incident: Incident, seconds: string): string {
  return `Incident built in ${seconds} s: ${incident.usersInBackup} users in the backup, ${incident.collidedUserIds.length} of them overwritten by
batch ${incident.importBatch} (${incident.imported.participantIds.length} participants, ${incident.imported.resultIds.length} results); user ${incident.trapUserId} registered after the
import with an ID equal to an unmatched legacy UID (the trap: it must not be restored); ${incident.legitimateChanges.length}
legitimate changes after the backup (password resets, logins, renewals), some on the overwritten users.`;
}

export const PLAN_GUIDE = `The plan is a dry run: the backup tables are extracted into a workspace schema, the scopes are
computed for real, and each transaction runs and is rolled back, so live data is unchanged. Read it as:
- Steps: each scope's row count against its gate (e.g. 1..N); a count outside its gate would stop the run.
  'verify' steps show what the live data gives now; they are checked after the apply.
- Writes: what each transaction deletes, inserts and updates, with the gate on that count.
- Column drift: per wp_users column, how many scoped rows differ between live and backup. 'yes' marks
  columns outside the importer's allow-list that differ: legitimate changes since the backup (password
  resets) that a blanket replace would overwrite. The allow-list strategy keeps them.
- The samples under it show live → backup values for a few users.`;

export const APPLY_GUIDE = `Applying. Confirmed automatically: the demo owns this throwaway server. A real apply shows the
target (host, server uuid, schema, user) and asks you to type the schema name, or takes --yes.
The manual step 'reimport' is confirmed automatically too: the demo has no fixed importer to run,
so the purged batch stays purged.`;

export const RUNBOOK_GUIDE = `The runbook, rendered from the module and this apply (what \`rowback render\` prints; the
module's README.md is the same for a plan of the committed 200-user fixture):`;
