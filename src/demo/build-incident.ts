import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type Kysely, sql } from 'kysely';
import type { Target } from '../db/index.ts';
import { runBadImport } from './bad-import.ts';
import { BuildContext, type IncidentTables } from './build-context.ts';
import { planEvents } from './ep-data.ts';
import { allowlistState, readUserRows } from './expected-state.ts';
import type { Incident, IncidentPhase } from './incident.ts';
import {
  DEFAULT_IMPORT_BATCH,
  IMPORTER_META_KEYS,
  IMPORTER_USER_COLUMNS,
  planIncident,
  TIMELINE,
} from './incident-plan.ts';
import { applyLegitimateChanges } from './legitimate-changes.ts';
import { FIXTURE_FILES, prepareWordPressSession, runSqlFile } from './load-sql-file.ts';
import { runMysqldump } from './mysqldump.ts';
import { writeShellDump } from './shell-dump/write-shell-dump.ts';
import { backupEvents, buildSiteBeforeBackup } from './site-before-backup.ts';

export interface BuildIncidentOptions {
  /** Users in the backup (≥ 50). */
  readonly users: number;
  readonly seed: number;
  /** Where the backup file and the shell dump directory are written; created if missing. */
  readonly workDir: string;
  /** The schema to build in: it must exist and hold no WordPress tables. Default: the target's schema. */
  readonly liveSchema?: string;
  /** Default `2026-11-20-ep-import`. */
  readonly importBatch?: string;
  /** People in the bad import; default max(16, 5 % of users). */
  readonly importPersons?: number;
  /** Uncompressed bytes per shell-dump chunk (MySQL Shell's default 64 MB). */
  readonly bytesPerChunk?: number;
  /** Path of `mariadb-dump` / `mysqldump`; found on PATH or in /usr/bin by default. */
  readonly mysqldump?: string;
  /** Called after each phase, its data committed: tests snapshot the live state here. */
  readonly onPhase?: (phase: IncidentPhase) => Promise<void> | void;
}

/**
 * Builds the WPCA UID-collision incident in a live schema, deterministically for a seed:
 * a WordPress + EP site → the backup (real `mariadb-dump` file + MySQL Shell dump directory) → life
 * after the backup → the bad import → life after the import. Returns the frozen ground truth.
 *
 * @example
 * await using box = await createSandbox(await startMysql());
 * const incident = await buildIncident(box.target, { users: 200, seed: 7, workDir: '/tmp/wpca' });
 * incident.collidedUserIds; // the users a restore must repair
 */
export async function buildIncident(target: Target, options: BuildIncidentOptions): Promise<Incident> {
  const schema = options.liveSchema ?? target.server.defaultSchema;
  if (!schema)
    throw new Error('buildIncident needs a live schema: pass liveSchema or connect with a default schema');
  const workDir = resolve(options.workDir);
  await mkdir(workDir, { recursive: true });
  const plan = planIncident({
    users: options.users,
    seed: options.seed,
    ...(options.importPersons !== undefined ? { importPersons: options.importPersons } : {}),
  });
  const batch = options.importBatch ?? DEFAULT_IMPORT_BATCH;
  const backupFile = join(workDir, 'backup.sql');
  const shellDumpDir = join(workDir, 'backup-mysqlsh');
  const onPhase = options.onPhase ?? (() => undefined);

  // A private connection whose default schema is the live one: the DDL files name tables unqualified,
  // and no `USE` leaks into the caller's pool.
  const own = await target.reconnect({ database: schema });
  try {
    return await own.db.connection().execute(async (db) => {
      await prepareWordPressSession(db);
      const ctx = new BuildContext(db, schema, plan);
      await runSqlFile(db, FIXTURE_FILES.wordpressSchema);
      await runSqlFile(db, FIXTURE_FILES.epPlugin);
      await buildSiteBeforeBackup(ctx);
      const backupCounts = await rowCounts(db, ctx.tables);

      const dump = await runMysqldump({
        connection: own.options,
        schema,
        file: backupFile,
        ...(options.mysqldump !== undefined ? { binary: options.mysqldump } : {}),
      });
      await writeShellDump(own, {
        schema,
        dir: shellDumpDir,
        ...(options.bytesPerChunk !== undefined ? { bytesPerChunk: options.bytesPerChunk } : {}),
      });
      const backupRows = await readUserRows(db, ctx.tables, plan.collidedUserIds);
      await onPhase('backup');

      const { past } = backupEvents(ctx);
      const [newEvent] = planEvents(
        ctx.seed,
        ctx.nextEventId,
        1,
        '2026-12-31 00:00:00',
        '2027-01-01 00:00:00',
      );
      const event = { ...newEvent!, created_at: '2026-11-18 10:12:00', updated_at: '2026-11-18 10:12:00' };
      await sql`INSERT INTO ${ctx.tables.events} (id, slug, title, venue, starts_at, ends_at, capacity, fee, status, created_at, updated_at)
        VALUES (${event.id}, ${event.slug}, ${event.title}, ${event.venue}, ${event.starts_at}, ${event.ends_at}, ${event.capacity},
                ${event.fee}, ${event.status}, ${event.created_at}, ${event.updated_at})`.execute(db);
      ctx.nextEventId++;
      await applyLegitimateChanges(ctx, 'after-backup', event);
      await onPhase('after-backup');

      const imported = await runBadImport(ctx, batch, past.slice(-3));
      await onPhase('import');

      await applyLegitimateChanges(ctx, 'after-import', event);
      await onPhase('after-import');

      const liveRows = await readUserRows(db, ctx.tables, plan.collidedUserIds);
      const incident: Incident = {
        seed: plan.seed,
        schema,
        tables: {
          users: ctx.tables.users,
          usermeta: ctx.tables.usermeta,
          events: ctx.tables.events,
          imports: ctx.tables.imports,
          participants: ctx.tables.participants,
          results: ctx.tables.results,
        },
        usersInBackup: plan.users,
        maxUserIdAtImport: plan.maxUserIdAtImport,
        backupFile,
        backupCommand: Object.freeze([dump.binary, ...dump.args]),
        shellDumpDir,
        timeline: TIMELINE,
        importBatch: batch,
        collidedUserIds: plan.collidedUserIds,
        nonCollidedLegacyUids: plan.nonCollidedLegacyUids,
        trapUserId: plan.maxUserIdAtImport + 1,
        importerTouched: Object.freeze({ userColumns: IMPORTER_USER_COLUMNS, metaKeys: IMPORTER_META_KEYS }),
        legitimateChanges: plan.legitimateChanges,
        imported,
        rowCounts: Object.freeze({ backup: backupCounts, live: await rowCounts(db, ctx.tables) }),
        expected: Object.freeze({ replace: backupRows, allowlist: allowlistState(backupRows, liveRows) }),
      };
      return Object.freeze(incident);
    });
  } finally {
    await own.close();
  }
}

async function rowCounts(db: Kysely<any>, tables: IncidentTables): Promise<Readonly<Record<string, number>>> {
  const counts: Record<string, number> = {};
  for (const table of Object.values(tables)) {
    const { rows } = await sql<{ n: string | number }>`SELECT COUNT(*) AS n FROM ${table}`.execute(db);
    counts[table.name] = Number(rows[0]?.n ?? 0);
  }
  return Object.freeze(counts);
}
