import { describe, expect, it } from 'vitest';
import { TableRef } from '../../src/db/index.ts';
import { foreignKeyViolation } from '../../src/primitives/foreign-key-violation.ts';

/** A driver error as mysql2 gives it: errno and the server's message. */
const serverError = (errno: number, message: string) => Object.assign(new Error(message), { errno });
const write = { label: 'r1_restore: replace-children orders', table: new TableRef('shop', 'orders') };

describe('foreignKeyViolation', () => {
  it('names the constraint, both tables and the order for errno 1452 (a parent row missing)', () => {
    const error = foreignKeyViolation(
      serverError(
        1452,
        'Cannot add or update a child row: a foreign key constraint fails (`shop`.`orders`, CONSTRAINT `fk_o``c` FOREIGN KEY (`customer_id`) REFERENCES `other`.`customers` (`id`) ON DELETE CASCADE)',
      ),
      write,
    ) as Error & { facts: Record<string, unknown> };
    expect(error.name).toBe('ForeignKeyError');
    expect(error.message).toMatch(
      /^r1_restore: replace-children orders: foreign key fk_o`c refused orders rows whose customers rows are not there \(errno 1452\)\. .*call the write that puts back the customers rows before the one that writes the orders rows$/,
    );
    expect(error.facts).toMatchObject({
      errno: 1452,
      child: 'orders',
      parent: 'customers',
      foreignKey: 'fk_o`c',
    });
  });

  it('names the child to write first for errno 1451 (a parent row still referenced)', () => {
    const error = foreignKeyViolation(
      serverError(
        1451,
        'Cannot delete or update a parent row: a foreign key constraint fails (`shop`.`orders`, CONSTRAINT `fk` FOREIGN KEY (`customer_id`) REFERENCES `customers` (`id`))',
      ),
      { label: 'r1_restore: purge customers', table: new TableRef('shop', 'customers') },
    ) as Error;
    expect(error.name).toBe('ForeignKeyError');
    expect(error.message).toMatch(
      /refused to delete or change customers rows that orders rows still reference \(errno 1451\).*call the write that deletes or moves those orders rows before the one that writes the customers rows$/,
    );
  });

  it('leaves every other error as it is, and words an unparsed message generally', () => {
    const other = serverError(1062, "Duplicate entry '1' for key 'PRIMARY'");
    expect(foreignKeyViolation(other, write)).toBe(other);
    expect(foreignKeyViolation(null, write)).toBe(null);
    expect(
      (foreignKeyViolation(serverError(1452, 'Cannot add or update a child row'), write) as Error).message,
    ).toMatch(
      /^r1_restore: replace-children orders: a foreign key refused child rows whose parent rows are not there \(errno 1452\)/,
    );
  });
});
