import { type Kysely, sql } from 'kysely';
import { TableRef, type Target } from '../db/index.ts';
import { UndoConflictError } from '../errors/index.ts';
import { hashRows } from './row-hash.ts';
import { setSqlMode, useRestoreSqlMode } from './session-mode.ts';
import { columnList, deleteJoinedSql } from './sql-fragments.ts';
import type { UndoRecord } from './undo-record.ts';

export interface UndoWritesOptions {
  /** Put the before-images back even where live rows changed since the write (their changes are lost). */
  readonly force?: boolean;
  /** Runs inside the transaction right before COMMIT (the caller's ledger row commits with the rows). */
  readonly beforeCommit?: (tx: Kysely<any>) => Promise<void>;
}

export interface UndoWritesResult {
  /** Live rows removed (rows the writes inserted or changed). */
  readonly deleted: number;
  /** Before-image rows put back. */
  readonly restored: number;
  /** Records whose rows had changed since the write and were overwritten because of `force`. */
  readonly forced: readonly string[];
}

/**
 * Reverses writes in one transaction, last write first: deletes the live rows at every key a write
 * touched and puts its before-image rows back, so each table returns to its exact prior state.
 * Before touching a table it compares `hashRows` of those rows with the hash recorded right after the
 * write; a difference means someone changed them since, and undo refuses with `UndoConflictError`
 * (rolling back everything) unless `force`. Foreign key checks are off inside this one transaction:
 * the rows put back are exactly rows that existed together before, and a cascade must not fire.
 * The live schema of each record is the one it was written in; `liveSchema` only overrides it (for
 * undoing into a renamed schema). Row data comes back byte-exactly; two things do not: triggers on
 * the tables fire for undo's deletes and inserts, and AUTO_INCREMENT counters are not rewound.
 *
 * @example
 * await undoWrites(target, null, results.map((r) => r.undo));
 */
export async function undoWrites(
  target: Target,
  liveSchema: string | null,
  records: readonly UndoRecord[],
  options: UndoWritesOptions = {},
): Promise<UndoWritesResult> {
  return target.db.connection().execute(async (pinned) => {
    const previousMode = await useRestoreSqlMode(pinned);
    const fkChecks = await sql<{ v: number | string }>`SELECT @@SESSION.foreign_key_checks AS v`.execute(
      pinned,
    );
    await sql`SET SESSION foreign_key_checks = 0`.execute(pinned);
    let deleted = 0;
    let restored = 0;
    const forced: string[] = [];
    try {
      await sql`START TRANSACTION`.execute(pinned);
      try {
        for (const record of [...records].reverse()) {
          const live = new TableRef(liveSchema ?? record.table.schema, record.table.name);
          const keys = new TableRef(record.keys.schema, record.keys.name);
          const image = new TableRef(record.beforeImage.schema, record.beforeImage.name);
          // Locking read: the rows stay as hashed until this transaction deletes and restores them.
          const now = await hashRows(
            pinned,
            live,
            { table: keys, columns: record.primaryKey },
            { locking: true },
          );
          if (now !== record.afterHash) {
            const what = `${live} (step '${record.step}', ${record.kind})`;
            if (!options.force) {
              throw new UndoConflictError(
                `rows of ${what} changed since the write: hash ${now}, recorded ${record.afterHash}`,
                {
                  hint: 'nothing was undone; compare the live rows with the before-image table to see what changed, then undo with force to overwrite those changes',
                  facts: {
                    table: live.toString(),
                    step: record.step,
                    recorded: record.afterHash,
                    found: now,
                    beforeImage: image.toString(),
                  },
                },
              );
            }
            forced.push(what);
          }
          const del = await sql
            .raw(deleteJoinedSql(live, record.primaryKey, keys, 'k', record.primaryKey))
            .execute(pinned);
          deleted += Number(del.numAffectedRows ?? 0n);
          const ins = await sql
            .raw(`INSERT INTO ${live.qualified} (${columnList(record.columns)})
              SELECT ${columnList(record.columns)} FROM ${image.qualified}`)
            .execute(pinned);
          restored += Number(ins.numAffectedRows ?? 0n);
        }
        await options.beforeCommit?.(pinned);
        await sql`COMMIT`.execute(pinned);
      } catch (error) {
        await sql`ROLLBACK`.execute(pinned).catch(() => undefined);
        throw error;
      }
    } finally {
      await sql`SET SESSION foreign_key_checks = ${Number(fkChecks.rows[0]?.v ?? 1)}`
        .execute(pinned)
        .catch(() => undefined);
      await setSqlMode(pinned, previousMode).catch(() => undefined);
    }
    return Object.freeze({ deleted, restored, forced: Object.freeze(forced) });
  });
}
