import { type Scope, sql, TableRef } from 'rowback';

/** The kit's materialized scope `s2_scope.scope(id PK)`, as a rowback Scope keyed by the users' `ID`. */
export function kitScope(rows: number): Scope {
  // MySQL column names are case-insensitive: the scope column `id` matches the key name `ID`.
  return Object.freeze({ name: 'kit-scope', table: new TableRef('s2_scope', 'scope'), key: ['ID'], rows });
}

export const backupUsers = new TableRef('s2_b', 'wp_users');
export const backupUsermeta = new TableRef('s2_b', 'wp_usermeta');

/** The columns the S2 allow-list peer (`sql-allowlist-update-users`) sets. */
export const USER_ALLOW_LIST = ['user_email', 'user_pass', 'user_url', 'display_name'] as const;

/** The usermeta rows the S2 allow-list peer (`sql-allowlist-update-usermeta-keys`) sets: three meta keys. */
export const USERMETA_ALLOW_WHERE = sql`t.meta_key IN ('first_name', 'last_name', 'nickname')`;
