import type { Kysely } from 'kysely';
import type { TableRef } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { assertNoSchemaDrift } from './schema-drift.ts';
import { readKeyedTable, readTableMetadata, requireColumn, type TableMetadata } from './table-metadata.ts';
import type { Scope } from './types.ts';

/** The names a write uses: its table, backup, scope columns, allow-list and schema options. */
export interface WriteIdentifiers {
  readonly table: TableRef;
  readonly from?: TableRef;
  readonly scope?: Scope;
  readonly on?: readonly string[];
  readonly columns?: readonly string[];
  readonly options: { readonly ignore?: readonly string[]; readonly map?: Readonly<Record<string, string>> };
}

/** What the check read: the live and backup tables' metadata and the columns matched to the scope. */
export interface CheckedWrite {
  readonly live: TableMetadata;
  readonly backup: TableMetadata | null;
  readonly on: readonly string[];
}

/**
 * Checks every identifier a write names against the server — the live table (a base table with a
 * primary key), the backup table, the columns matched to the scope, the allow-list, schema drift —
 * with metadata reads only. The transaction runs it before anything else of the write (hashes, size
 * estimates, before-images), so a misspelt column is a UsageError naming it, never a server error.
 *
 * @example
 * await checkWriteIdentifiers(ctx.tx, upsertColumnsSpec(ctx, 'wp_users', { from, scope, columns: ['user_email'] }));
 */
export async function checkWriteIdentifiers(db: Kysely<any>, spec: WriteIdentifiers): Promise<CheckedWrite> {
  const live = await readKeyedTable(db, spec.table);
  const backup = spec.from ? await readTableMetadata(db, spec.from) : null;
  const { ignore, map } = spec.options;
  if (backup)
    assertNoSchemaDrift(live, backup, {
      ...(ignore === undefined ? {} : { ignore }),
      ...(map === undefined ? {} : { map }),
    });
  const pk = live.primaryKey;
  for (const k of pk) {
    if (ignore?.includes(k))
      throw new UsageError(`primary key column ${k} of ${spec.table} cannot be ignored`, {
        hint: `leave ${k} out of ignore`,
        facts: { option: 'ignore', column: k },
      });
  }
  const on = spec.on ?? spec.scope?.key ?? [];
  if (spec.scope && on.length !== spec.scope.key.length) {
    throw new UsageError(
      `${spec.table}: ${on.length} column(s) (${on.join(', ')}) given to match scope '${spec.scope.name}' keyed by ${spec.scope.key.join(', ')}`,
      { hint: 'pass one table column per scope key column, in the same order' },
    );
  }
  for (const c of on) requireColumn(live, c);
  for (const c of spec.columns ?? []) {
    const column = requireColumn(live, c);
    if (pk.includes(c))
      throw new UsageError(`allow-list column ${c} is part of the primary key of ${spec.table}`, {
        hint: 'the primary key matches rows and is never set; leave it out of columns',
        facts: { option: 'columns', column: c },
      });
    if (column.generated) {
      throw new UsageError(`allow-list column ${c} of ${spec.table} is generated and cannot be written`, {
        hint: 'leave it out of columns: the server computes it',
        facts: { option: 'columns', column: c },
      });
    }
  }
  return Object.freeze({ live, backup, on });
}
