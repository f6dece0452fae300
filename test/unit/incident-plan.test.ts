import { describe, expect, it } from 'vitest';
import { IMPORTER_META_KEYS, IMPORTER_USER_COLUMNS, MIN_USERS, planIncident } from '../../src/demo/index.ts';
import { generateUser } from '../../src/demo/wordpress-user.ts';

describe('planIncident', () => {
  it('is a pure function of (users, seed)', () => {
    const a = planIncident({ users: 500, seed: 42 });
    const b = planIncident({ users: 500, seed: 42 });
    expect(b).toEqual(a);
    expect(planIncident({ users: 500, seed: 43 }).collidedUserIds).not.toEqual(a.collidedUserIds);
  });

  it('collides only with users that are in the backup, and leaves the rest of the batch as guests', () => {
    for (const seed of [1, 2, 3, 20261120]) {
      const plan = planIncident({ users: 300, seed });
      const uids = plan.importPersons.map((p) => p.legacyUid);
      expect(new Set(uids).size).toBe(uids.length);
      expect(plan.collidedUserIds.length).toBeGreaterThan(0);
      expect(plan.nonCollidedLegacyUids.length).toBeGreaterThan(0);
      for (const id of plan.collidedUserIds) expect(id).toBeGreaterThanOrEqual(1);
      for (const id of plan.collidedUserIds) expect(id).toBeLessThanOrEqual(plan.users);
      for (const uid of plan.nonCollidedLegacyUids) expect(uid).toBeGreaterThan(plan.maxUserIdAtImport);
      expect([...plan.collidedUserIds, ...plan.nonCollidedLegacyUids].sort((x, y) => x - y)).toEqual(
        [...uids].sort((x, y) => x - y),
      );
      // The trap: the first registration after the import gets an ID equal to a guest's legacy UID.
      expect(plan.nonCollidedLegacyUids).toContain(plan.maxUserIdAtImport + 1);
      // No import person is a user migrated earlier (their UIDs are disjoint).
      const migrated = new Set(plan.legacyUidOf.values());
      for (const uid of uids) expect(migrated.has(uid)).toBe(false);
    }
  });

  it('plans legitimate changes on hit users outside the importer fields only', () => {
    const plan = planIncident({ users: 1000, seed: 7 });
    const collided = new Set(plan.collidedUserIds);
    const onCollided = plan.legitimateChanges.filter((c) => collided.has(c.userId));
    expect(onCollided.filter((c) => c.phase === 'after-backup').length).toBeGreaterThanOrEqual(2);
    expect(onCollided.filter((c) => c.phase === 'after-import').length).toBeGreaterThanOrEqual(1);
    const importerFields = new Set<string>([...IMPORTER_USER_COLUMNS, ...IMPORTER_META_KEYS]);
    for (const change of onCollided) {
      for (const field of [...change.userColumns, ...change.metaKeys])
        expect(importerFields.has(field)).toBe(false);
    }
    expect(new Set(onCollided.map((c) => c.kind))).toEqual(
      new Set(['password-reset', 'profile-edit', 'membership-renewal', 'role-change', 'login']),
    );
    expect(plan.legitimateChanges.some((c) => c.kind === 'email-change' && !collided.has(c.userId))).toBe(
      true,
    );
  });

  it(`refuses fewer than ${MIN_USERS} users`, () => {
    expect(() => planIncident({ users: MIN_USERS - 1, seed: 1 })).toThrow(RangeError);
  });
});

describe('generateUser', () => {
  it('gives the same user for the same (seed, id), with the 14 core usermeta keys first', () => {
    const options = { registeredFrom: 1_600_000_000, registeredUntil: 1_600_086_400 };
    const user = generateUser(9, 17, options);
    expect(generateUser(9, 17, options)).toEqual(user);
    expect(user.meta.slice(0, 14).map(([key]) => key)).toEqual([
      'nickname',
      'first_name',
      'last_name',
      'description',
      'rich_editing',
      'syntax_highlighting',
      'comment_shortcuts',
      'admin_color',
      'use_ssl',
      'show_admin_bar_front',
      'locale',
      'wp_capabilities',
      'wp_user_level',
      'dismissed_wp_pointers',
    ]);
    expect(user.row.ID).toBe(17);
    expect(user.row.user_registered).toMatch(/^2020-09-1[34] \d\d:\d\d:\d\d$/);
  });

  it('produces the hard characters across a site: 4-byte emoji, CJK, Cyrillic, quotes, backslashes', () => {
    const text: string[] = [];
    for (let id = 1; id <= 400; id++) {
      const user = generateUser(1, id, { registeredFrom: 0, registeredUntil: 1 });
      text.push(user.row.display_name, ...user.meta.map(([, value]) => value));
    }
    const all = text.join('\n');
    expect(all).toMatch(/[\u{1F300}-\u{1FAFF}]/u);
    expect(all).toMatch(/[\u{1D400}-\u{1D7FF}]/u);
    expect(all).toMatch(/[\u4E00-\u9FFF]/u);
    expect(all).toMatch(/[\u0400-\u04FF]/u);
    expect(all).toContain("'");
    expect(all).toContain('"');
    expect(all).toContain('\\');
    expect(all).toContain('\t');
  });
});
