/** The module `rowback new` writes: a blanket replace of damaged `wp_users` rows from a backup schema. */
export function moduleTemplate(id: string): string {
  return `import { defineRestore, fromSchema, sql } from 'rowback';
import { z } from 'zod';

export default defineRestore({
  id: '${id}',
  title: 'Put back wp_users rows that differ from the backup',
  params: z.object({
    /** Schema on the same server holding the restored backup. */
    backupSchema: z.string().min(1),
    strategy: z.enum(['replace', 'allowlist']).default('allowlist'),
  }),
  retention: { days: 30 },
  runbook: {
    context: 'What happened, when, and which rows were damaged.',
    decisions: ['Allow-list (user_email, display_name) by default: other columns keep their live values.'],
    references: ['Incident ticket: …'],
  },
  async run(r, p) {
    const backup = await r.extract('backup', fromSchema(p.backupSchema, { tables: ['wp_users'] }));
    const damaged = await r.scope(
      'damaged-users',
      sql\`SELECT l.ID FROM wp_users l JOIN \${backup.table('wp_users')} b ON b.ID = l.ID
           WHERE NOT (l.user_email <=> b.user_email AND l.display_name <=> b.display_name)\`,
      { key: 'ID', keyFrom: 'wp_users', expect: { min: 1, max: 1000 } },
    );
    await r.snapshot('before', ['wp_users'], { scope: damaged });
    await r.transaction('restore', async (tx) => {
      const from = backup.table('wp_users');
      if (p.strategy === 'replace') await tx.replaceRows('wp_users', { from, scope: damaged });
      else
        await tx.upsertColumns('wp_users', { from, scope: damaged, columns: ['user_email', 'display_name'] });
      await tx.verify(
        'damaged users equal the backup',
        tx.diff('wp_users', from, { scope: damaged, columns: ['user_email', 'display_name'] }),
        { expect: 'no-diff' },
      );
    });
  },
});
`;
}

/** The test `rowback new` writes next to the module; it passes as generated. */
export function moduleTestTemplate(id: string): string {
  return `import { createSandbox, type MysqlServer, type Sandbox, startMysql } from 'rowback/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import restore from './index.ts';

let server: MysqlServer;
let box: Sandbox;
let backupSchema: string;

beforeAll(async () => {
  // A real server from the provider chain: ROWBACK_TEST_DATABASE_URL, a container, or a local mysqld.
  server = await startMysql();
  box = await createSandbox(server);
  // The table as WordPress creates it (with WordPress's lax session sql_mode, which allows its zero
  // dates); replace with your own schema fixture: createSandbox(server, { fixtures: ['schema.sql'] }).
  await box.load({
    sql: \`SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';
    CREATE TABLE wp_users (
      ID bigint(20) unsigned NOT NULL auto_increment, user_login varchar(60) NOT NULL default '',
      user_pass varchar(255) NOT NULL default '', user_nicename varchar(50) NOT NULL default '',
      user_email varchar(100) NOT NULL default '', user_url varchar(100) NOT NULL default '',
      user_registered datetime NOT NULL default '0000-00-00 00:00:00', user_activation_key varchar(255) NOT NULL default '',
      user_status int(11) NOT NULL default '0', display_name varchar(250) NOT NULL default '',
      PRIMARY KEY (ID), KEY user_login_key (user_login), KEY user_nicename (user_nicename), KEY user_email (user_email)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci\`,
  });
  await box.load({
    sql: \`INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          VALUES (1, 'ada', 'x', 'ada', 'ada@example.org', '2024-01-01 00:00:00', 'Ada'),
                 (2, 'bob', 'x', 'bob', 'bob@example.org', '2024-01-02 00:00:00', 'Bob'),
                 (3, 'cy', 'x', 'cy', 'cy@example.org', '2024-01-03 00:00:00', 'Cy')\`,
  });
  backupSchema = box.schemaName('backup');
  await box.load({ sql: \`CREATE DATABASE \\\`\${backupSchema}\\\`\` });
  await box.load({ sql: \`CREATE TABLE \\\`\${backupSchema}\\\`.wp_users LIKE wp_users\` });
  await box.load({ sql: \`INSERT INTO \\\`\${backupSchema}\\\`.wp_users SELECT * FROM wp_users\` });
  // The incident: a bad import overwrote user 2.
  await box.load({
    sql: "UPDATE wp_users SET user_email = 'wrong@example.org', display_name = 'Wrong' WHERE ID = 2",
  });
}, 180_000);
afterAll(async () => {
  await box?.drop();
  await server?.stop();
});

it('${id}: plan changes nothing, apply restores, undo puts the damage back', async () => {
  const damaged = await box.checksum('wp_users');
  const planned = await box.plan(restore, { backupSchema });
  expect(planned.status).toBe('done');
  expect(await box.checksum('wp_users')).toBe(damaged);

  const applied = await box.apply(restore, { backupSchema });
  expect(applied.status).toBe('done');
  const bob = (await box.rows('wp_users', { orderBy: 'ID' }))[1];
  expect(bob).toMatchObject({ user_email: 'bob@example.org', display_name: 'Bob' });

  await box.undo(applied.runId!);
  expect(await box.checksum('wp_users')).toBe(damaged);
});
`;
}
