import { defineRestore, sql } from 'rowback';
import { z } from 'zod';
import { backupUsermeta, backupUsers, USER_ALLOW_LIST, USERMETA_ALLOW_WHERE } from './s2-scope.ts';

/**
 * The S2 restore as an operator would write it: scope the kit's users into the workspace, then one
 * transaction with a blanket replace or an allow-list upsert, from the backup schema s2_b — or, with
 * `chunk` (S5, on a cluster), one transaction per chunk of that many users.
 */
export function s2Module(strategy: 'replace' | 'allowlist', chunk?: number) {
  return defineRestore({
    id: `20261126-bench-s2-${strategy}${chunk ? '-chunked' : ''}`,
    title: `bench S2 ${strategy}`,
    params: z.object({}),
    async run(r) {
      const users = await r.scope('users', sql`SELECT id AS ID FROM s2_scope.scope`, {
        key: 'ID',
        keyFrom: 'wp_users',
      });
      await r.transaction(
        'restore',
        async (tx) => {
          if (strategy === 'replace') {
            await tx.replaceRows('wp_users', { from: backupUsers, scope: users });
            await tx.replaceChildren('wp_usermeta', {
              from: backupUsermeta,
              parentKey: 'user_id',
              scope: users,
            });
          } else {
            await tx.upsertColumns('wp_users', { from: backupUsers, scope: users, columns: USER_ALLOW_LIST });
            await tx.upsertColumns('wp_usermeta', {
              from: backupUsermeta,
              scope: users,
              on: 'user_id',
              columns: ['meta_value'],
              where: USERMETA_ALLOW_WHERE,
            });
          }
        },
        chunk ? { chunk: { scope: users, size: chunk } } : {},
      );
    },
  });
}
