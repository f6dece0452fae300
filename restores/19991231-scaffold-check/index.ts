import { defineRestore, fromSchema, sql } from 'rowback';
import { z } from 'zod';

export default defineRestore({
  id: '19991231-scaffold-check',
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
      sql`SELECT l.ID FROM wp_users l JOIN ${backup.table('wp_users')} b ON b.ID = l.ID
           WHERE NOT (l.user_email <=> b.user_email AND l.display_name <=> b.display_name)`,
      { key: 'ID', keyFrom: 'wp_users', expect: { min: 1, max: 1000 } },
    );
    await r.snapshot('before', ['wp_users'], { scope: damaged });
    await r.transaction('restore', async (tx) => {
      const from = backup.table('wp_users');
      if (p.strategy === 'replace') await tx.replaceRows('wp_users', { from, scope: damaged });
      else await tx.upsertColumns('wp_users', { from, scope: damaged, columns: ['user_email', 'display_name'] });
      await tx.verify('damaged users equal the backup', tx.diff('wp_users', from, { scope: damaged, columns: ['user_email', 'display_name'] }), {
        expect: 'no-diff',
      });
    });
  },
});
