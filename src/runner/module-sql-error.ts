import { UsageError } from '../errors/index.ts';

/**
 * Server error numbers that mean the SQL a module wrote is wrong (syntax, unknown column or table,
 * ambiguous name, wrong column count…), as opposed to the server or the data being in trouble.
 */
const MODULE_SQL_ERRORS = new Set([
  1049, 1052, 1054, 1055, 1060, 1064, 1093, 1111, 1140, 1146, 1221, 1222, 1241, 1247, 1248, 1305, 1582, 1583,
  1630,
]);

/**
 * A server error caused by SQL the module passed (a scope or verify query, a `where` condition),
 * as a UsageError that says which call's SQL it was; anything else is returned as it is.
 */
function asModuleSqlError(error: unknown, call: string, what: string): unknown {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (typeof errno !== 'number' || !MODULE_SQL_ERRORS.has(errno)) return error;
  const message = (error as Error).message;
  return new UsageError(`${call}: the server refused the SQL of ${what} (error ${errno}): ${message}`, {
    cause: error,
    hint: `check the sql\`…\` given as ${what}: its tables and columns, and that it is a complete query or condition`,
    facts: { in: call, option: what, errno, serverMessage: message },
  });
}

/**
 * Runs `go`, turning a server error about the module's own SQL into a UsageError naming the call and
 * the argument or option that held the SQL (`argument 'query'`, `option 'where'`).
 */
export async function withModuleSql<T>(call: string, what: string, go: () => Promise<T>): Promise<T> {
  try {
    return await go();
  } catch (error) {
    throw asModuleSqlError(error, call, what);
  }
}
