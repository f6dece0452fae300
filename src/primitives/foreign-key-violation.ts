import type { TableRef } from '../db/index.ts';
import { ForeignKeyError } from '../errors/index.ts';

/** The server refused to delete or change a parent row that child rows still reference. */
const PARENT_REFERENCED = 1451;
/** The server refused a child row whose parent row is not there. */
const PARENT_MISSING = 1452;

const NAME = '`((?:[^`]|``)+)`';
/** `(`db`.`child`, CONSTRAINT `fk` FOREIGN KEY (`col`) REFERENCES `parent` (`id`)`, as MySQL and MariaDB word it. */
const CONSTRAINT = new RegExp(
  `\\(${NAME}\\.${NAME}, CONSTRAINT ${NAME} FOREIGN KEY \\(([^)]*)\\) REFERENCES (?:${NAME}\\.)?${NAME} \\(([^)]*)\\)`,
);

const ORDER =
  'Inside r.transaction each tx.* write runs at once, in call order: parents first when rows are put back, children first when rows are deleted';

/**
 * Turns the server's foreign-key refusal (errno 1451 / 1452) of one write into a `ForeignKeyError`
 * that names the constraint and the order of writes that avoids it; any other error is returned as is.
 * The caller rolls the transaction back, so nothing of it is committed.
 */
export function foreignKeyViolation(
  error: unknown,
  write: { readonly label: string; readonly table: TableRef },
): unknown {
  const errno = (error as { errno?: unknown } | null)?.errno;
  if (errno !== PARENT_REFERENCED && errno !== PARENT_MISSING) return error;
  const serverMessage = error instanceof Error ? error.message : String(error);
  const found = CONSTRAINT.exec(serverMessage);
  const unquote = (name: string | undefined) => name?.replaceAll('``', '`');
  const child = unquote(found?.[2]);
  const parent = unquote(found?.[6]);
  const constraint = unquote(found?.[3]);
  const facts = {
    errno,
    table: write.table.toString(),
    foreignKey: constraint,
    child,
    parent,
    serverMessage,
  };
  // The server's message names the constraint on MySQL and MariaDB; if it ever does not, say it plainly.
  const fk = constraint ? `foreign key ${constraint}` : 'a foreign key';
  const [childRows, parentRows] = [
    child ? `${child} rows` : 'child rows',
    parent ? `${parent} rows` : 'parent rows',
  ];
  if (errno === PARENT_MISSING) {
    return new ForeignKeyError(
      `${write.label}: ${fk} refused ${childRows} whose ${parentRows} are not there (errno 1452)`,
      {
        cause: error,
        facts,
        hint: `the transaction is rolled back. ${ORDER}: call the write that puts back the ${parentRows} before the one that writes the ${childRows}`,
      },
    );
  }
  return new ForeignKeyError(
    `${write.label}: ${fk} refused to delete or change ${parentRows} that ${childRows} still reference (errno 1451)`,
    {
      cause: error,
      facts,
      hint: `the transaction is rolled back. ${ORDER}: call the write that deletes or moves those ${childRows} before the one that writes the ${parentRows}`,
    },
  );
}
