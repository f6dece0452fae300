import { z } from 'zod';

/**
 * The run-time shapes of the values rowback's public calls take. Objects are loose (unknown keys pass)
 * so an option added in one place is not refused by a stale list here; expectations are strict, since
 * a misspelt `{ row: 5 }` would otherwise read as "any count" and open the gate.
 */

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isFunction = (v: unknown): boolean => typeof v === 'function';

export const text = (what: string) => z.string({ error: what }).min(1, { error: what });

export const stepName = text('a non-empty step name');
export const tableName = text('a non-empty table name');
export const columnName = text('a non-empty column name');
export const columns = z.union([columnName, z.array(columnName).min(1)], {
  error: "a column name or a non-empty list of column names, e.g. 'user_id'",
});
export const columnList = z.array(columnName, { error: "a list of column names, e.g. ['user_email']" });
export const tableList = z
  .array(tableName, { error: "a list of table names, e.g. ['wp_users']" })
  .min(1, { error: "a list of at least one table name, e.g. ['wp_users']" });
export const fn = (what: string) => z.custom<(...args: never[]) => unknown>(isFunction, { error: what });

/** kysely's `sql` template (a `RawBuilder`): values in it are parameters. */
export const query = z.custom((v) => isObject(v) && (v as { isRawBuilder?: unknown }).isRawBuilder === true, {
  error: 'a query written with sql`…`',
});

function isTableRef(v: unknown): boolean {
  return (
    isObject(v) &&
    typeof v.schema === 'string' &&
    typeof v.name === 'string' &&
    typeof v.qualified === 'string'
  );
}
export const tableRef = z.custom(isTableRef, { error: "a table such as backup.table('wp_users')" });
export const tableOrRef = z.union([tableName, tableRef], { error: 'a table name or a table reference' });

function isScope(v: unknown): boolean {
  return (
    isObject(v) &&
    typeof v.name === 'string' &&
    isTableRef(v.table) &&
    Array.isArray(v.key) &&
    v.key.length > 0 &&
    v.key.every((k) => typeof k === 'string') &&
    typeof v.rows === 'number'
  );
}
export const scope = z.custom(isScope, { error: 'a scope returned by r.scope(…)' });

const count = z.number({ error: 'a number' }).int().nonnegative();
export const countExpectation = z.union(
  [
    z.strictObject({ rows: count }),
    z
      .strictObject({ min: count.optional(), max: count.optional() })
      .refine((e) => e.min === undefined || e.max === undefined || e.min <= e.max),
    fn('a predicate'),
  ],
  { error: 'an expectation: { rows: n }, { min, max } (whole numbers >= 0, min <= max) or (n) => boolean' },
);
export const expectation = z.union([z.literal('no-diff'), countExpectation], {
  error: "an expectation: 'no-diff', { rows: n }, { min, max } or (n) => boolean",
});

/** What `tx.diff(…)` returns. */
const isNames = (v: unknown) =>
  Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string' && c !== '');
export const diffSpec = z.custom(
  (v) =>
    isObject(v) &&
    v.kind === 'diff' &&
    typeof v.live === 'string' &&
    isTableRef(v.liveTable) &&
    isTableRef(v.backup) &&
    (v.scope === undefined || isScope(v.scope)) &&
    (v.on === undefined || isNames(v.on)) &&
    (v.columns === undefined || isNames(v.columns)) &&
    (v.key === undefined || isNames(v.key)),
  { error: 'a diff built by tx.diff(…)' },
);
export const check = z.union([query, diffSpec], {
  error: "a query written with sql`…` or a diff built by tx.diff(table, backup.table('t'), { scope })",
});

export const source = z.custom(
  (v) => isObject(v) && typeof v.description === 'string' && isFunction(v.extract),
  { error: 'a source such as fromMysqldump(file, { tables })' },
);

export const stringRecord = z.record(z.string(), z.string({ error: 'a name' }), {
  error: "an object of names, e.g. { wp_users: 'users_copy' }",
});
export const queryRecord = z.record(z.string(), query, {
  error: 'an object of conditions per table, e.g. { wp_users: sql`ID > 100` }',
});
export const rowFilters = z.record(
  z.string(),
  z.looseObject(
    {
      column: columnName,
      keys: z.custom((v) => isObject(v) && Symbol.iterator in v, { error: 'an iterable of key values' }),
    },
    { error: "a row filter { column, keys }, e.g. { column: 'ID', keys: [1, 2] }" },
  ),
  { error: "an object of row filters per table, e.g. { wp_users: { column: 'ID', keys: [1, 2] } }" },
);
export const loadMethod = z.enum(['load-data', 'insert'], { error: "'load-data' or 'insert'" });
export const dumpInput = z.union(
  [
    text('a file path'),
    z.instanceof(Uint8Array),
    z.custom((v) => isObject(v) && (Symbol.asyncIterator in v || Symbol.iterator in v)),
  ],
  { error: 'a file path, bytes or a stream' },
);

/** Options every write takes (WriteOptions). */
export const writeOptions = {
  expect: countExpectation.optional(),
  hint: z.string({ error: 'a string' }).optional(),
  allowCascade: z.boolean({ error: 'true or false' }).optional(),
  map: stringRecord.optional(),
  ignore: columnList.optional(),
} as const;

/** A `Target` from `connect(url)`. */
/** A `Target` from `connect(url)`: an open kysely instance and the server's info. */
export const target = z.custom(
  (v) =>
    isObject(v) &&
    isObject(v.db) &&
    isFunction(v.db.withSchema) &&
    isObject(v.server) &&
    typeof v.server.flavour === 'string' &&
    typeof v.description === 'string',
  { error: 'a target from connect(url)' },
);
/** What `defineRestore` returns (a module object built by hand must have the same parts). */
export const restoreModule = z.custom(
  (v) =>
    isObject(v) &&
    typeof v.id === 'string' &&
    typeof v.title === 'string' &&
    isFunction(v.run) &&
    isObject(v.retention) &&
    typeof v.retention.days === 'number' &&
    isObject(v.params) &&
    isObject(v.params['~standard']) &&
    isFunction(v.params['~standard'].validate),
  { error: 'a restore module from defineRestore({ … })' },
);
export const confirm = z.union([z.literal(true), fn('a confirm callback')], {
  error: 'true or a confirm callback',
});
