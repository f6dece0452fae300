/**
 * rowback: surgical, migration-style data restores on live MySQL and MariaDB.
 *
 * @example
 * import { connect } from 'rowback';
 * const target = await connect('mysql://root@127.0.0.1:3306/wordpress');
 */
export { sql } from 'kysely';
export * from './db/index.ts';
export * from './errors/index.ts';
export * from './ledger/index.ts';
export * from './primitives/index.ts';
export * from './sources/index.ts';
