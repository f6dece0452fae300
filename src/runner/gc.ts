import { sql } from 'kysely';
import { quoteId, quoteQualified, type Target } from '../db/index.ts';
import {
  type ArtifactRow,
  DEFAULT_CONTROL_SCHEMA,
  listArtifacts,
  markArtifactsDropped,
  openLedger,
} from '../ledger/index.ts';
import { GC } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { moduleLocked } from './lock-state.ts';
import { WORKSPACE_MARKER } from './restore-context.ts';

export interface GcOptions {
  readonly controlSchema?: string;
  /** List what would be dropped, drop nothing. */
  readonly dryRun?: boolean;
}

export interface GcItem {
  readonly moduleId: string;
  readonly runId: string;
  readonly kind: string;
  readonly schema: string;
  readonly table: string | null;
  readonly expiresAt: string | null;
}

export interface GcResult {
  /** Expired artifacts (dropped unless dry run). */
  readonly expired: readonly GcItem[];
  readonly dropped: readonly GcItem[];
  /** Expired, but left alone: a run of their module is in progress, or the schema still holds other tables. */
  readonly kept: readonly (GcItem & { readonly reason: string })[];
}

/**
 * Drops expired workspace artifacts: tables rowback recorded in the ledger, and a workspace schema
 * once it is empty. Never drops anything the ledger does not name, and skips modules with a run in
 * progress (their lock is held). Every drop is recorded in the ledger.
 */
export async function gc(target: Target, options: GcOptions = {}): Promise<GcResult> {
  checkCall(GC, { target, options });
  const ledger = await openLedger(target, options.controlSchema ?? DEFAULT_CONTROL_SCHEMA);
  const expiredRows = await listArtifacts(ledger, { expired: true });
  // A table re-created by a later run (the same extract in plan and apply) has a newer artifact that
  // has not expired yet: it stays until every artifact naming it has expired.
  const expiredIds = new Set(expiredRows.map((a) => a.id));
  const stillNeeded = new Set(
    (await listArtifacts(ledger))
      .filter((a) => !expiredIds.has(a.id))
      .map((a) => `${a.schema_name}\0${a.table_name}`),
  );
  const expired = expiredRows.filter((a) => !stillNeeded.has(`${a.schema_name}\0${a.table_name}`));
  const seenTables = new Set<string>();
  const dropped: GcItem[] = [];
  const kept: (GcItem & { reason: string })[] = [];
  const busy = new Map<string, boolean>();
  const isBusy = async (moduleId: string) => {
    if (!busy.has(moduleId)) busy.set(moduleId, await moduleLocked(target, ledger.schema, moduleId));
    return busy.get(moduleId)!;
  };
  const tables = expired.filter((a) => a.table_name !== WORKSPACE_MARKER);
  const schemas = expired.filter((a) => a.table_name === WORKSPACE_MARKER);
  for (const artifact of tables) {
    const key = `${artifact.schema_name}\0${artifact.table_name}`;
    if (seenTables.has(key)) continue;
    seenTables.add(key);
    const item = toItem(artifact);
    if (await isBusy(artifact.module_id))
      kept.push({ ...item, reason: 'a run of this module is in progress' });
    else if (options.dryRun) continue;
    else {
      await sql
        .raw(`DROP TABLE IF EXISTS ${quoteQualified(artifact.schema_name, artifact.table_name)}`)
        .execute(target.db);
      await markArtifactsDropped(ledger, artifact.schema_name, artifact.table_name);
      dropped.push(item);
    }
  }
  for (const artifact of uniqueBySchema(schemas)) {
    const item = toItem(artifact);
    if (await isBusy(artifact.module_id)) {
      kept.push({ ...item, reason: 'a run of this module is in progress' });
      continue;
    }
    // In a dry run the expired tables are still there; count them as dropped, as the real run would.
    const wouldDrop = options.dryRun
      ? tables.filter((t) => t.schema_name === artifact.schema_name).length
      : 0;
    const live = (await recordedLiveTables(target, ledger.schema, artifact.schema_name)) - wouldDrop;
    const present = (await tablesIn(target, artifact.schema_name)) - wouldDrop;
    if (live > 0 || present > 0) {
      kept.push({
        ...item,
        reason: `the schema still holds ${present} table(s), ${live} of them not yet expired`,
      });
    } else if (options.dryRun) {
    } else {
      await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(artifact.schema_name)}`).execute(target.db);
      await markArtifactsDropped(ledger, artifact.schema_name, WORKSPACE_MARKER);
      dropped.push(item);
    }
  }
  return Object.freeze({ expired: expired.map(toItem), dropped, kept });
}

function toItem(a: ArtifactRow): GcItem {
  return {
    moduleId: a.module_id,
    runId: a.run_id,
    kind: a.kind,
    schema: a.schema_name,
    table: a.table_name === WORKSPACE_MARKER ? null : a.table_name,
    expiresAt: a.expires_at,
  };
}

function uniqueBySchema(rows: readonly ArtifactRow[]): ArtifactRow[] {
  const seen = new Map<string, ArtifactRow>();
  for (const r of rows) seen.set(r.schema_name, r);
  return [...seen.values()];
}

async function recordedLiveTables(target: Target, controlSchema: string, schema: string): Promise<number> {
  const result = await sql<{ n: string }>`
    SELECT COUNT(*) AS n FROM ${sql.id(controlSchema, 'artifacts')}
    WHERE schema_name = ${schema} AND table_name <> ${WORKSPACE_MARKER} AND dropped_at IS NULL`.execute(
    target.db,
  );
  return Number(result.rows[0]?.n ?? 0);
}

async function tablesIn(target: Target, schema: string): Promise<number> {
  const result = await sql<{
    n: string;
  }>`SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema}`.execute(target.db);
  return Number(result.rows[0]?.n ?? 0);
}
