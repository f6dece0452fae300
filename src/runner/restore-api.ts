import type { RawBuilder } from 'kysely';
import type { TableRef } from '../db/index.ts';
import type {
  CountExpectation,
  Expectation,
  PurgeWriteOptions,
  ReplaceChildrenWriteOptions,
  ReplaceRowsWriteOptions,
  RevertConflictPolicy,
  Scope,
  UpsertColumnsWriteOptions,
  WriteOptions,
} from '../primitives/index.ts';
import type { ExtractResult, Source } from '../sources/index.ts';

/** A query a module hands to rowback: kysely's `sql` template (values become parameters). */
export type Query = RawBuilder<unknown>;

/** What `r.extract` returns: the extracted backup tables in the workspace. */
export interface Backup {
  readonly name: string;
  /** The workspace table holding the backup of `sourceTable` (throws for a table not extracted). */
  table(sourceTable: string): TableRef;
  /** A binlog extract's changes of `sourceTable`: one row per key the window changed (see `fromBinlog`). */
  changes(sourceTable: string): TableRef;
  readonly result: ExtractResult;
}

export interface ScopeOptions {
  /** Key column(s) of the rows the query returns; the scope table's primary key. */
  readonly key: readonly string[] | string;
  readonly expect?: CountExpectation;
  /** Live table whose columns of the same names give the key columns' types (else they are probed). */
  readonly keyFrom?: string;
}

export interface SnapshotOptions {
  readonly scope?: Scope;
  /** Which columns of each table match the scope's key, when their names differ (e.g. `user_id`). */
  readonly on?: Readonly<Record<string, readonly string[] | string>>;
}

export interface TransactionOptions {
  /** Commit per chunk of this many scope keys (resumable, NOT atomic; the report says so). */
  readonly chunk?: { readonly scope: Scope; readonly size: number };
  /** Cap on the estimated transaction size in bytes (besides Group Replication's own limit). */
  readonly maxBytes?: number;
}

export interface VerifyOptions {
  readonly expect: Expectation;
}

/**
 * For blanket writes: the columns an allow-list restore would set instead. The plan's drift profile
 * then marks the differing columns outside it — what this replace overwrites beyond the allow-list
 * (legitimate changes made since the backup, typically): the replace vs allow-list decision on data.
 */
export interface ProfileOptions {
  readonly allowList?: readonly string[];
}

/** A diff to verify: `tx.diff(...)` builds it; `verify` runs it and counts differing rows. */
export interface DiffSpec {
  readonly kind: 'diff';
  readonly live: string;
  readonly liveTable: TableRef;
  readonly backup: TableRef;
  readonly scope?: Scope;
  /** Columns of the live table matched by position to the scope's key (child tables: `user_id`). */
  readonly on?: readonly string[];
  readonly columns?: readonly string[];
  readonly key?: readonly string[];
}

export interface DiffOptions {
  readonly scope?: Scope;
  /** Columns matched by position to the scope's key, when their names differ (e.g. `user_id`). */
  readonly on?: string | readonly string[];
  readonly columns?: readonly string[];
  readonly key?: readonly string[] | string;
}

/** Options of `tx.revert`. */
export interface RevertOptions extends WriteOptions {
  /** The `r.extract(…, fromBinlog(…))` result holding the table's before-images and changes. */
  readonly from: Backup;
  /** Keys to revert, named as the table's primary key columns. */
  readonly scope: Scope;
  readonly onConflict?: RevertConflictPolicy;
}

/**
 * The writes of one `r.transaction`: every one copies before-images first; all commit together (per
 * chunk when chunked). Each runs at once, in call order (docs/design.md): with a foreign
 * key between tables, put rows back parents first and delete children first; a wrong order is refused
 * with a `ForeignKeyError` naming the order, and the transaction rolls back.
 */
export interface TransactionContext {
  /** Deletes dependent rows (by `where` or `scope`); `expect` is required: a purge is never blind. */
  purge(table: string, options: PurgeWriteOptions): Promise<number>;
  /** Blanket replace: the scoped live rows become exactly the backup rows. */
  replaceRows(table: string, options: ReplaceRowsWriteOptions & ProfileOptions): Promise<number>;
  /** Allow-list: only `columns` are set from the backup; every other column keeps its live value. */
  upsertColumns(table: string, options: UpsertColumnsWriteOptions): Promise<number>;
  /** Child rows of the scoped parents become exactly the backup's (backup primary keys kept). */
  replaceChildren(table: string, options: ReplaceChildrenWriteOptions & ProfileOptions): Promise<number>;
  /**
   * Three-way restore from a `fromBinlog` extract: scoped rows the window changed go back to their
   * before-images where live still holds what the window wrote; rows changed again later are conflicts
   * (`onConflict`, default `'fail'`).
   */
  revert(table: string, options: RevertOptions): Promise<number>;
  /** A check inside the transaction: in a plan it shows the post-state, before the rollback. */
  verify(name: string, check: Query | DiffSpec, options: VerifyOptions): Promise<number>;
  diff(table: string, backup: TableRef, options?: DiffOptions): DiffSpec;
}

/** What a module's `run(r, p)` is given. Each call is a step with a unique name. */
export interface RestoreContext {
  /** The live schema (the target's default schema). */
  readonly liveSchema: string;
  /** A live table, for queries. */
  live(table: string): TableRef;
  extract(name: string, source: Source): Promise<Backup>;
  scope(name: string, query: Query, options: ScopeOptions): Promise<Scope>;
  snapshot(name: string, tables: readonly string[], options?: SnapshotOptions): Promise<void>;
  transaction(
    name: string,
    fn: (tx: TransactionContext) => Promise<void>,
    options?: TransactionOptions,
  ): Promise<void>;
  /** A step a person does (re-run an import…): interactive runs ask, others stop as `awaiting`. */
  manual(name: string, instructions: string): Promise<void>;
  verify(name: string, check: Query | DiffSpec, options: VerifyOptions): Promise<number>;
}
