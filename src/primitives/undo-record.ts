/** A schema-qualified table as plain data, so an undo record survives JSON. */
export interface TableName {
  readonly schema: string;
  readonly name: string;
}

export type WriteKind = 'replace-rows' | 'replace-children' | 'upsert-columns' | 'purge';

/** `cascade`: rows of a child table an acknowledged ON DELETE CASCADE / SET NULL changed. */
export type UndoKind = WriteKind | 'cascade';

/**
 * Everything `undoWrites` needs to put a write back, as plain serializable data (the ledger stores it
 * as JSON). The before-image holds the full prior rows the write changed or deleted; the keys table
 * holds the primary key of every row the write touched, with `rb_action` `d` (deleted), `u` (updated),
 * `i` (inserted) or `c` (changed by a cascade).
 */
export interface UndoRecord {
  readonly version: 1;
  readonly kind: UndoKind;
  readonly step: string;
  /** The live table written. */
  readonly table: TableName;
  readonly primaryKey: readonly string[];
  /** The columns the before-image holds (every non-generated column), restored as they were. */
  readonly columns: readonly string[];
  readonly beforeImage: TableName;
  readonly keys: TableName;
  /** `hashRows` of the live rows at `keys` right after the write; a different hash means someone changed them since. */
  readonly afterHash: string;
  readonly counts: { readonly deleted: number; readonly inserted: number; readonly updated: number };
}
