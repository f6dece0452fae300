import { defineRestore, fromMysqldump, isErrorNamed, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createRig, type Rig } from '../reliability/harness.ts';

/**
 * An apply that stopped (a failed step, a kill, a manual step awaiting) and was then undone has no
 * completed steps left in effect: resuming it would skip the writes undo took back and report the
 * restore done while the damaged rows are still damaged.
 */
let rig: Rig;

const restore = defineRestore({
  id: '20261204-resume-after-undo',
  title: 'Resume after undo: put back every damaged user, then tell support',
  params: z.object({ backup: z.string() }),
  retention: { days: 0 },
  async run(r, p) {
    const backup = await r.extract('backup', fromMysqldump(p.backup, { tables: ['wp_users'] }));
    const users = await r.scope(
      'damaged-users',
      sql`SELECT l.ID FROM wp_users l JOIN ${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)`,
      { key: 'ID', keyFrom: 'wp_users', expect: { min: 1 } },
    );
    await r.transaction('restore', async (tx) => {
      await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
    });
    await r.manual('tell-support', 'Tell support the users are back');
  },
});

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') }, 20);
}, 180_000);

afterAll(async () => {
  await rig?.drop();
});

describe('apply --resume of an undone run', () => {
  it('is refused, naming the undo, and writes nothing', async () => {
    const damaged = await rig.box.checksum('wp_users');
    const first = await rig.box.apply(restore, { backup: rig.dumpFile });
    expect(first.status, JSON.stringify(first.error)).toBe('awaiting');
    const undone = await rig.box.undo(first.runId!);
    expect(undone.status, JSON.stringify(undone.error)).toBe('done');
    expect(await rig.box.checksum('wp_users')).toBe(damaged);

    const resumed = await rig.box.apply(restore, { backup: rig.dumpFile }, { resume: true }).then(
      (report) => report,
      (error: unknown) => error,
    );
    expect(isErrorNamed(resumed, 'UsageError'), JSON.stringify(resumed)).toBe(true);
    expect((resumed as Error).message).toMatch(
      new RegExp(`run ${first.runId} .*was undone by run ${undone.runId}`),
    );
    expect(await rig.box.checksum('wp_users')).toBe(damaged);

    // Applied afresh, it restores.
    const again = await rig.box.apply(restore, { backup: rig.dumpFile });
    expect(again.status, JSON.stringify(again.error)).toBe('awaiting');
    expect(await rig.box.checksum('wp_users')).not.toBe(damaged);
  });
});
