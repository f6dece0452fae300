import type { Kysely } from 'kysely';
import type { ServerInfo, TableRef, Target } from '../db/index.ts';
import type { ArtifactKind } from '../ledger/index.ts';

/** An artifact a primitive created in the workspace, for the ledger (and for `gc` and `undo`). */
export interface ArtifactRecord {
  readonly kind: ArtifactKind;
  readonly table: TableRef;
  readonly rows: number | null;
  readonly checksum: string | null;
  readonly provenance?: Readonly<Record<string, unknown>>;
}

/** Where primitives report what they created; the runner writes it to the ledger with run and expiry. */
export interface ArtifactRecorder {
  record(stepName: string, artifact: ArtifactRecord): Promise<void>;
}

/**
 * An isolated schema holding extracted backups, scopes, snapshots and before-images. Nothing in it is
 * ever live data. Usually on the target server (`rb_<module id>`); may be on a standalone server.
 */
export interface Workspace {
  /** The server the workspace lives on. */
  readonly target: Target;
  readonly schema: string;
  /** Whether the workspace is on the same server as the live data (so SQL can join both). */
  readonly sameServer: boolean;
  /** A table in the workspace; `name` is already the workspace-side name. */
  table(name: string): TableRef;
}

/** A materialized key set: a workspace table whose primary key is the key columns. */
export interface Scope {
  readonly name: string;
  readonly table: TableRef;
  /** Key column names, in order (also the scope table's primary key). */
  readonly key: readonly string[];
  readonly rows: number;
}

/**
 * What a write primitive inside a transaction works with. `tx` is one pinned connection with an open
 * transaction on the live server; `ddl` is another connection on the same server, because MySQL
 * commits implicitly on DDL and before-image tables must be created outside the transaction.
 */
export interface WriteContext {
  readonly tx: Kysely<any>;
  readonly ddl: Kysely<any>;
  readonly server: ServerInfo;
  /** The live schema (the target's default schema) that unqualified table names refer to. */
  readonly liveSchema: string;
  readonly workspace: Workspace;
  readonly recorder: ArtifactRecorder;
  /** Name of the enclosing step; used to name before-image tables uniquely. */
  readonly stepName: string;
  /** `plan` runs the same statements and the caller rolls back. */
  readonly mode: 'plan' | 'apply';
}
