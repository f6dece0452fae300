import type { TableRef, Target } from '../db/index.ts';

/** Progress while a source runs: bytes of the input read (when it has a size) and rows landed. */
export interface ExtractProgress {
  readonly table: string | null;
  readonly bytesRead: number;
  readonly bytesTotal: number | null;
  readonly rows: number;
}

/** Where a source lands its tables: a workspace schema on `target`, named by `tableName`. */
export interface ExtractContext {
  readonly target: Target;
  /** Workspace schema (already created). */
  readonly workspace: string;
  /** The workspace-side name for a source table, e.g. `backup__wp_users` (≤ 64 chars). */
  tableName(sourceTable: string, sourceSchema: string | null): string;
  readonly onProgress?: (progress: ExtractProgress) => void;
  readonly signal?: AbortSignal;
}

export interface ExtractedTable {
  readonly sourceSchema: string | null;
  readonly sourceTable: string;
  readonly table: TableRef;
  readonly rows: number;
  /** `CHECKSUM TABLE … EXTENDED` of the landed table. */
  readonly checksum: string;
}

export interface ExtractResult {
  readonly tables: readonly ExtractedTable[];
  /** Where the data came from: file, size, dump time, GTID set, binlog position, server version… */
  readonly provenance: Readonly<Record<string, unknown>>;
  /**
   * Every change made to the DDL that could matter to the rows (cross-flavour types, collations, dropped
   * indexes or keys), for the report. Not listed: the table option AUTO_INCREMENT=, and the column
   * attribute AUTO_INCREMENT that LOAD DATA extracts drop so several streams can fill a table at once
   * (a workspace copy never generates ids).
   */
  readonly ddlChanges: readonly string[];
}

/**
 * A backup source. `extract` lands the selected tables in the workspace, each complete or not at all
 * (a failed table is dropped), and never writes anywhere else. Bad input throws `SourceError`.
 */
export interface Source {
  readonly kind: 'schema' | 'server' | 'mysqldump' | 'mysqlsh' | 'binlog';
  /** Human description without secrets, e.g. `mysqldump /backups/wp.sql.gz`. */
  readonly description: string;
  extract(context: ExtractContext): Promise<ExtractResult>;
}
