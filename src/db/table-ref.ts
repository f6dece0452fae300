import { type OperationNode, type OperationNodeSource, sql } from 'kysely';
import { assertIdentifier, quoteQualified } from './quote.ts';

/**
 * A schema-qualified table. Interpolates into kysely's `sql` template as a quoted identifier, so a
 * module can write ``sql`SELECT ID FROM ${backup.table('wp_users')}` `` safely.
 *
 * @example
 * const users = new TableRef('rb_20261126_fix', 'backup__wp_users');
 * users.qualified // '`rb_20261126_fix`.`backup__wp_users`'
 */
export class TableRef implements OperationNodeSource {
  readonly schema: string;
  readonly name: string;

  constructor(schema: string, name: string) {
    assertIdentifier(schema, 'schema name');
    assertIdentifier(name, 'table name');
    this.schema = schema;
    this.name = name;
    Object.freeze(this);
  }

  /** `` `schema`.`name` `` for raw SQL text. */
  get qualified(): string {
    return quoteQualified(this.schema, this.name);
  }

  toOperationNode(): OperationNode {
    return sql.id(this.schema, this.name).toOperationNode();
  }

  toString(): string {
    return `${this.schema}.${this.name}`;
  }
}
