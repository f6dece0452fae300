import type { Kysely } from 'kysely';
import type { TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { readForeignKeys } from './foreign-keys.ts';
import { requireColumn, type TableMetadata } from './table-metadata.ts';
import type { Scope } from './types.ts';

/**
 * The columns of `meta`'s table matched by position to the scope's key: the ones given; else the
 * key's own names when the table has them; else the columns of the one declared foreign key that
 * references the key's columns (`wp_usermeta.user_id` → `wp_users.ID`), preferring a key into one of
 * `related` (the other tables of the same call). Without any of these a UsageError shows the `on`
 * option to pass, instead of "no column ID".
 */
export async function scopeColumnsOf(
  db: Kysely<any>,
  meta: TableMetadata,
  scope: Scope,
  given: string | readonly string[] | undefined,
  related: readonly TableRef[] = [],
): Promise<readonly string[]> {
  const table = meta.table;
  if (given !== undefined) {
    const on = [given].flat();
    if (on.length !== scope.key.length) {
      throw new UsageError(
        `${table}: ${on.length} column(s) (${on.join(', ')}) given to match scope '${scope.name}' keyed by ${scope.key.join(', ')}`,
        { hint: 'pass one table column per scope key column, in the same order', facts: { option: 'on' } },
      );
    }
    for (const c of on) requireColumn(meta, c);
    return on;
  }
  const names = new Set(meta.columns.map((c) => c.name));
  if (scope.key.every((k) => names.has(k))) return scope.key;
  const keyText = scope.key.join(', ');
  const candidates = (await readForeignKeys(db, [table])).filter(
    (fk) =>
      fk.child.schema === table.schema &&
      fk.child.name === table.name &&
      fk.referencedColumns.length === scope.key.length &&
      fk.referencedColumns.every((c, i) => c === scope.key[i]),
  );
  const preferred = candidates.filter((fk) =>
    related.some((t) => t.schema === fk.parent.schema && t.name === fk.parent.name),
  );
  const chosen = preferred.length > 0 ? preferred : candidates;
  if (chosen.length === 1) return chosen[0]!.columns;
  const placeholder =
    scope.key.length === 1 ? `'<column holding ${keyText}>'` : `['<columns holding ${keyText}>']`;
  const found =
    chosen.length > 1
      ? `several foreign keys reference ${keyText} (${chosen.map((fk) => `${fk.name}: ${fk.columns.join(', ')} → ${fk.parent}`).join('; ')})`
      : `no column ${scope.key.map((k) => JSON.stringify(k)).join(', ')} and no foreign key that references ${keyText}`;
  throw new UsageError(`table ${table} has ${found}, so it cannot be matched to scope '${scope.name}'`, {
    hint: `say which column holds the scope's ${keyText}: pass { on: { ${table.name}: ${placeholder} } }`,
    facts: { option: 'on', table: table.toString(), scopeKey: scope.key },
  });
}
