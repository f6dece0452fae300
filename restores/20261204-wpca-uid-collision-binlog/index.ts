import { defineRestore, fromBinlog, sql } from 'rowback';
import * as q from '../20261126-wpca-uid-collision/queries.ts';
import { binlogPoint, type Params, params } from './params.ts';
import { RUNBOOK } from './runbook.ts';

/** The tables the bad import wrote, in the order their reverts run (children before parents). */
const IMPORT_TABLES = Object.freeze(['wp_ep_results', 'wp_ep_participants', 'wp_usermeta', 'wp_users']);

/**
 * The WPCA UID-collision incident undone from the binary log, with no backup: every row the import's
 * transactions changed goes back to what it was just before them (rows they created are deleted), and
 * every change made after the import is kept — a row changed again later is a conflict, never
 * overwritten silently.
 */
export default defineRestore({
  id: '20261204-wpca-uid-collision-binlog',
  title: 'WPCA UID-collision: undo the bad import from the binary log',
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

    // 1. The import's row changes, from the log: before-images and what it last wrote, per key.
    const log = await r.extract(
      'import-log',
      fromBinlog({
        tables: IMPORT_TABLES,
        start: binlogPoint(p.start),
        stop: binlogPoint(p.stop),
        ...(p.files ? { files: p.files.split(',').map((f) => f.trim()) } : {}),
      }),
    );

    // 2. The window is the import, as data: its own record, and every participant it wrote is of the batch.
    await r.scope('import-batch', q.importRecord(t, p.importBatch), {
      key: 'batch_id',
      keyFrom: 'wp_ep_imports',
      expect: { rows: 1 },
    });
    await r.scope(
      'window-participants-not-of-batch',
      sql`SELECT c.id FROM ${log.changes('wp_ep_participants')} AS c
          WHERE c.rb_last_kind = 'delete' OR NOT (c.import_batch <=> ${p.importBatch})`,
      { key: 'id', keyFrom: 'wp_ep_participants', expect: { rows: 0 } },
    );
    const users = await r.scope('window-users', sql`SELECT ID FROM ${log.changes('wp_users')}`, {
      key: 'ID',
      keyFrom: 'wp_users',
      expect: { min: 1 },
    });
    // Every user the window changed is one the importer matched by the legacy UID (the bug, as data).
    const matched = await r.scope('matched-uids', q.matchedUids(t, p.importBatch), {
      key: 'ID',
      keyFrom: 'wp_users',
      expect: { min: users.rows },
    });
    await r.scope(
      'window-users-not-matched',
      sql`SELECT u.ID FROM ${users.table} AS u LEFT JOIN ${matched.table} AS m ON m.ID = u.ID WHERE m.ID IS NULL`,
      { key: 'ID', keyFrom: 'wp_users', expect: { rows: 0 } },
    );
    const meta = await r.scope('window-usermeta', sql`SELECT umeta_id FROM ${log.changes('wp_usermeta')}`, {
      key: 'umeta_id',
      keyFrom: 'wp_usermeta',
      expect: { min: 1 },
    });
    const participants = await r.scope(
      'window-participants',
      sql`SELECT id FROM ${log.changes('wp_ep_participants')}`,
      { key: 'id', keyFrom: 'wp_ep_participants', expect: { min: 1 } },
    );
    const results = await r.scope('window-results', sql`SELECT id FROM ${log.changes('wp_ep_results')}`, {
      key: 'id',
      keyFrom: 'wp_ep_results',
      expect: { max: participants.rows },
    });
    const unscoped = await r.scope('unscoped-fingerprints', q.unscopedFingerprints(t, users), {
      key: ['ID', 'fingerprint'],
    });

    // 3. Snapshots of every live row the revert may touch.
    await r.snapshot('snapshot-users', ['wp_users', 'wp_usermeta'], {
      scope: users,
      on: { wp_usermeta: 'user_id' },
    });
    await r.snapshot('snapshot-batch', ['wp_ep_participants', 'wp_ep_results'], {
      scope: participants,
      on: { wp_ep_results: 'participant_id' },
    });

    // 4. One transaction: results before participants (they point at them), then the users' rows.
    await r.transaction('revert-import', async (tx) => {
      const onConflict = p.onConflict;
      await tx.revert('wp_ep_results', {
        from: log,
        scope: results,
        onConflict,
        expect: { rows: results.rows },
      });
      await tx.revert('wp_ep_participants', {
        from: log,
        scope: participants,
        onConflict,
        expect: { rows: participants.rows },
      });
      await tx.revert('wp_usermeta', { from: log, scope: meta, onConflict, expect: { max: meta.rows } });
      await tx.revert('wp_users', { from: log, scope: users, onConflict, expect: { max: users.rows } });
      await tx.verify(
        'reverted users equal their rows from just before the import',
        tx.diff('wp_users', log.table('wp_users'), { scope: users }),
        { expect: 'no-diff' },
      );
      await tx.verify('no participant of the batch left', q.participantsOfBatch(t, p.importBatch), {
        expect: { rows: 0 },
      });
    });

    // 5. The fixed importer runs again; it matches people by ep_legacy_uid, never by ID.
    await r.manual(
      'reimport',
      `Re-run the EP import of batch ${p.importBatch} with the fixed importer (ep-importer ≥ 2.3.1), then confirm.`,
    );

    await r.verify('no EP points at a foreign user', q.foreignParticipants(t), { expect: { rows: 0 } });
    await r.verify('no unscoped user changed', q.unscopedChanged(t, unscoped), { expect: { rows: 0 } });
  },
});
