import { defineRestore } from 'rowback';
import { backupSource } from './backup-source.ts';
import { IMPORTER_META_KEYS, IMPORTER_USER_COLUMNS } from './importer-fields.ts';
import { type Params, params } from './params.ts';
import * as q from './queries.ts';
import { RUNBOOK } from './runbook.ts';

/**
 * The WPCA UID-collision restore: an EP import took legacy UIDs for WordPress user IDs and wrote onto
 * unrelated users. Scope the damage from the data, purge what the import created, put the users'
 * rows back from the pre-import backup in one transaction, re-import, verify.
 */
export default defineRestore({
  id: '20261126-wpca-uid-collision',
  title: 'wp_users / wp_usermeta surgical restore for the WPCA UID-collision incident',
  params,
  retention: { days: 30 },
  runbook: RUNBOOK,

  async run(r, p: Params) {
    const t: q.LiveTables = {
      users: r.live('wp_users'),
      usermeta: r.live('wp_usermeta'),
      imports: r.live('wp_ep_imports'),
      participants: r.live('wp_ep_participants'),
      results: r.live('wp_ep_results'),
    };
    const batch = p.importBatch;

    // 1. The pre-import backup of the two user tables, into the workspace (never the live schema).
    const backup = await r.extract('backup', backupSource(p));
    const backupUsers = backup.table('wp_users');
    const backupMeta = backup.table('wp_usermeta');

    // 2. What the import created, gated against its own record in wp_ep_imports.
    await r.scope('import-batch', q.importRecord(t, batch), {
      key: 'batch_id',
      keyFrom: 'wp_ep_imports',
      expect: { rows: 1 },
    });
    const participants = await r.scope('batch-participants', q.batchParticipants(t, batch), {
      key: 'id',
      keyFrom: 'wp_ep_participants',
      expect: { min: 1 },
    });
    const results = await r.scope('batch-results', q.batchResults(t, participants), {
      key: 'id',
      keyFrom: 'wp_ep_results',
      expect: { max: participants.rows },
    });

    // 3. The damaged users: legacy UIDs the importer matched to user IDs, cross-checked with the backup.
    const matched = await r.scope('matched-uids', q.matchedUids(t, batch), {
      key: 'ID',
      keyFrom: 'wp_users',
      expect: { min: 1 },
    });
    await r.scope('matched-not-in-backup', q.matchedWithoutBackup(matched, backupUsers), {
      key: 'ID',
      keyFrom: 'wp_users',
      expect: { rows: 0 },
    });
    const users = await r.scope('collided-users', q.collidedUsers(t, matched, backupUsers), {
      key: 'ID',
      keyFrom: 'wp_users',
      expect: { min: 1, max: matched.rows },
    });
    const meta = await r.scope('collided-meta', q.collidedMeta(users), {
      key: ['user_id', 'meta_key'],
      keyFrom: 'wp_usermeta',
      expect: { rows: users.rows * IMPORTER_META_KEYS.length },
    });
    // Informational: the legitimate usermeta changes a blanket replace would revert.
    await r.scope('meta-changed-since-backup', q.metaChangedSinceBackup(t, users, backupMeta), {
      key: 'umeta_id',
      keyFrom: 'wp_usermeta',
    });
    const unscoped = await r.scope('unscoped-fingerprints', q.unscopedFingerprints(t, users), {
      key: ['ID', 'fingerprint'],
    });

    // 4. Snapshots of every live row the transactions below may touch.
    await r.snapshot('snapshot-users', ['wp_users', 'wp_usermeta'], {
      scope: users,
      on: { wp_usermeta: 'user_id' },
    });
    await r.snapshot('snapshot-batch', ['wp_ep_participants', 'wp_ep_results'], {
      scope: participants,
      on: { wp_ep_results: 'participant_id' },
    });

    // 5. Results first (they point at participants), then the participants of the batch.
    await r.transaction('purge-batch', async (tx) => {
      await tx.purge('wp_ep_results', { scope: results, expect: { rows: results.rows } });
      await tx.purge('wp_ep_participants', { scope: participants, expect: { rows: participants.rows } });
      await tx.verify('no result of the batch left', q.resultsOfBatch(t, participants), {
        expect: { rows: 0 },
      });
      await tx.verify('no participant of the batch left', q.participantsOfBatch(t, batch), {
        expect: { rows: 0 },
      });
    });

    // 6. Users and their meta in one transaction; the checks run inside it, before the commit.
    await r.transaction('restore-users', async (tx) => {
      if (p.strategy === 'replace') {
        // allowList: the plan's drift profile then shows what this replace overwrites beyond the
        // importer's columns (legitimate changes since the backup, such as password resets).
        await tx.replaceRows('wp_users', {
          from: backupUsers,
          scope: users,
          expect: { rows: users.rows },
          allowList: IMPORTER_USER_COLUMNS,
        });
        await tx.replaceChildren('wp_usermeta', {
          from: backupMeta,
          parentKey: 'user_id',
          scope: users,
          expect: { min: 1 },
        });
        await tx.verify('scoped users equal the backup', tx.diff('wp_users', backupUsers, { scope: users }), {
          expect: 'no-diff',
        });
        await tx.verify(
          'scoped usermeta equals the backup',
          tx.diff('wp_usermeta', backupMeta, { scope: users, on: 'user_id' }),
          { expect: 'no-diff' },
        );
      } else {
        await tx.upsertColumns('wp_users', {
          from: backupUsers,
          scope: users,
          columns: IMPORTER_USER_COLUMNS,
          expect: { rows: users.rows },
        });
        await tx.replaceChildren('wp_usermeta', {
          from: backupMeta,
          parentKey: ['user_id', 'meta_key'],
          scope: meta,
          expect: { min: 1 },
        });
        await tx.verify(
          'importer columns equal the backup',
          tx.diff('wp_users', backupUsers, { scope: users, columns: IMPORTER_USER_COLUMNS }),
          { expect: 'no-diff' },
        );
        await tx.verify(
          'importer meta keys equal the backup',
          tx.diff('wp_usermeta', backupMeta, { scope: meta }),
          {
            expect: 'no-diff',
          },
        );
      }
    });

    // 7. The fixed importer runs again; it matches people by ep_legacy_uid, never by ID.
    await r.manual(
      'reimport',
      `Re-run the EP import of batch ${batch} with the fixed importer (ep-importer ≥ 2.3.1, which matches people by the ep_legacy_uid user meta and stores unmatched ones as guests), then confirm.`,
    );

    // 8. Final checks on the live data.
    await r.verify('no EP points at a foreign user', q.foreignParticipants(t), { expect: { rows: 0 } });
    await r.verify('no unscoped user changed', q.unscopedChanged(t, unscoped), { expect: { rows: 0 } });
  },
});
