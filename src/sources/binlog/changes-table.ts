/**
 * The `sourceTable` name under which a binlog extract records a table's changes beside its
 * before-images (`backup.changes('wp_users')` finds it). `:` cannot appear in a name a module passes
 * for a real table by mistake.
 */
export function changesTableOf(sourceTable: string): string {
  return `${sourceTable}:changes`;
}

/** Columns of a changes table besides the key and the after-image columns. */
export const CHANGE_COLUMNS = Object.freeze({
  firstFile: 'rb_first_file',
  firstPosition: 'rb_first_position',
  firstGtid: 'rb_first_gtid',
  firstKind: 'rb_first_kind',
  lastFile: 'rb_last_file',
  lastPosition: 'rb_last_position',
  lastGtid: 'rb_last_gtid',
  lastKind: 'rb_last_kind',
  kinds: 'rb_kinds',
  events: 'rb_events',
});
