import { type Selectable, sql } from 'kysely';
import type { Ledger } from './control-schema.ts';
import type { ArtifactKind, ArtifactsTable } from './tables.ts';

export type ArtifactRow = Readonly<Selectable<ArtifactsTable>>;

export interface NewArtifact {
  readonly runId: string;
  readonly moduleId: string;
  readonly stepName: string;
  readonly kind: ArtifactKind;
  readonly schema: string;
  readonly table: string;
  readonly rows: number | null;
  readonly checksum: string | null;
  readonly provenanceJson: string | null;
  /** Days until `gc` may drop it; null keeps it until dropped by hand. */
  readonly retentionDays: number | null;
}

export async function insertArtifact(ledger: Ledger, artifact: NewArtifact): Promise<void> {
  await ledger.db
    .insertInto('artifacts')
    .values({
      run_id: artifact.runId,
      module_id: artifact.moduleId,
      step_name: artifact.stepName,
      kind: artifact.kind,
      schema_name: artifact.schema,
      table_name: artifact.table,
      row_count: artifact.rows === null ? null : String(artifact.rows),
      checksum: artifact.checksum,
      provenance_json: artifact.provenanceJson,
      created_at: sql<string>`UTC_TIMESTAMP(3)`,
      expires_at:
        artifact.retentionDays === null
          ? null
          : sql<string>`UTC_TIMESTAMP(3) + INTERVAL ${Math.round(artifact.retentionDays * 86_400)} SECOND`,
      dropped_at: null,
    })
    .execute();
}

export interface ArtifactQuery {
  readonly runIds?: readonly string[];
  readonly moduleId?: string;
  readonly stepName?: string;
  readonly kind?: ArtifactKind;
  readonly schema?: string;
  /** Only artifacts whose expiry passed and that are not dropped yet. */
  readonly expired?: boolean;
}

export async function listArtifacts(ledger: Ledger, query: ArtifactQuery = {}): Promise<ArtifactRow[]> {
  let select = ledger.db.selectFrom('artifacts').selectAll().where('dropped_at', 'is', null).orderBy('id');
  if (query.runIds) select = select.where('run_id', 'in', query.runIds.length ? [...query.runIds] : ['-1']);
  if (query.moduleId) select = select.where('module_id', '=', query.moduleId);
  if (query.stepName) select = select.where('step_name', '=', query.stepName);
  if (query.kind) select = select.where('kind', '=', query.kind);
  if (query.schema) select = select.where('schema_name', '=', query.schema);
  if (query.expired) select = select.where('expires_at', '<=', sql<string>`UTC_TIMESTAMP(3)`);
  return await select.execute();
}

export async function markArtifactsDropped(ledger: Ledger, schema: string, table: string): Promise<void> {
  await ledger.db
    .updateTable('artifacts')
    .set({ dropped_at: sql<string>`UTC_TIMESTAMP(3)` })
    .where('schema_name', '=', schema)
    .where('table_name', '=', table)
    .where('dropped_at', 'is', null)
    .execute();
}
