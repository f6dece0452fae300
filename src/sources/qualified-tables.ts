import { UsageError } from '../errors/index.ts';

/** A source's table list with `schema.table` entries resolved to one schema and bare table names. */
export interface TableSelection {
  readonly schema: string | undefined;
  readonly tables: readonly string[];
}

/**
 * Accepts `schema.table` in a source's `tables` (`['world.City']` means `{ schema: 'world', tables:
 * ['City'] }`), as operators write table names everywhere else. One source reads one schema, so the
 * entries must agree with each other and with the schema option. A table whose own name holds a dot
 * cannot be named this way; none of the dump formats rowback reads writes such names unquoted anyway.
 */
export function resolveQualifiedTables(
  call: string,
  tables: readonly string[],
  schema: string | undefined,
  schemaOption: 'schema' | 'database',
): TableSelection {
  const named = new Set<string>();
  const bare = tables.map((entry) => {
    const dot = entry.indexOf('.');
    if (dot <= 0 || dot === entry.length - 1) return entry;
    named.add(entry.slice(0, dot));
    return entry.slice(dot + 1);
  });
  if (named.size > 1) {
    throw new UsageError(
      `${call}: option 'tables' names tables of ${named.size} schemas (${[...named].join(', ')})`,
      {
        hint: 'one source reads one schema; use one r.extract per schema',
        facts: { option: 'tables', schemas: [...named] },
      },
    );
  }
  const [fromTables] = named;
  if (fromTables !== undefined && schema !== undefined && fromTables !== schema) {
    throw new UsageError(
      `${call}: option 'tables' names schema ${fromTables} but option '${schemaOption}' is ${schema}`,
      {
        hint: `name the tables without a schema, or pass { ${schemaOption}: '${fromTables}' }`,
        facts: { option: 'tables', schema, tablesSchema: fromTables },
      },
    );
  }
  return Object.freeze({ schema: fromTables ?? schema, tables: Object.freeze(bare) });
}
