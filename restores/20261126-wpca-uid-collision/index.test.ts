import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type RunReport, renderRunbook, sql, workspaceTableName } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIncident, type Incident, type Row } from '../../src/demo/index.ts';
import { IMPORTER_META_KEYS, IMPORTER_USER_COLUMNS } from './importer-fields.ts';
import restore from './index.ts';

const REPO = join(import.meta.dirname, '../..');
const SMALL = join(REPO, 'fixtures/incidents/wpca-small');
const README = join(import.meta.dirname, 'README.md');
const TABLES = [
  'wp_users',
  'wp_usermeta',
  'wp_ep_participants',
  'wp_ep_results',
  'wp_ep_events',
  'wp_ep_imports',
];
const confirmManual = async () => true;

async function checksums(box: Sandbox): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of TABLES) out[table] = await box.checksum(table);
  return out;
}

/** The live wp_users and wp_usermeta rows, split into the collided users' and everybody else's. */
async function userRows(box: Sandbox, collided: readonly number[]) {
  const ids = new Set(collided.map(String));
  const users = await box.rows('wp_users', { orderBy: 'ID' });
  const meta = await box.rows('wp_usermeta', { orderBy: 'umeta_id' });
  const inScope = (r: Row, key: string) => ids.has(String(r[key]));
  return {
    scoped: {
      wp_users: users.filter((r) => inScope(r, 'ID')),
      wp_usermeta: meta.filter((r) => inScope(r, 'user_id')),
    },
    unscoped: {
      wp_users: users.filter((r) => !inScope(r, 'ID')),
      wp_usermeta: meta.filter((r) => !inScope(r, 'user_id')),
    },
  };
}

async function scopeKeys(box: Sandbox, scope: string): Promise<number[]> {
  const table = `\`${box.workspaceSchema}\`.\`${workspaceTableName('scope', scope)}\``;
  const { rows } = await sql
    .raw<{ ID: string }>(`SELECT ID FROM ${table} ORDER BY ID`)
    .execute(box.target.db);
  return rows.map((r) => Number(r.ID));
}

const step = (report: RunReport, name: string) => report.steps.find((s) => s.name === name);
const usersProfile = (report: RunReport) => report.driftProfiles.find((p) => p.table === 'wp_users');

describe('20261126-wpca-uid-collision on a built incident', () => {
  let box: Sandbox;
  let backupBox: Sandbox;
  let work: string;
  let incident: Incident;
  /** Collided users with a password reset since the backup: the conflict a blanket replace creates. */
  let passwordResets: number;

  beforeAll(async () => {
    box = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'wpca' });
    work = join(REPO, '.rowback-tmp', `wpca-test-${randomBytes(4).toString('hex')}`);
    incident = await buildIncident(box.target, { users: 240, seed: 20261126, workDir: work });
    const collided = new Set(incident.collidedUserIds);
    passwordResets = new Set(
      incident.legitimateChanges
        .filter((c) => collided.has(c.userId) && c.userColumns.includes('user_pass'))
        .map((c) => c.userId),
    ).size;
    // The backup restored into a schema of its own: the "schema" and "standalone server" sources.
    backupBox = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'wpcb' });
    await backupBox.load({ file: incident.backupFile });
  });

  afterAll(async () => {
    await box?.drop();
    await backupBox?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('knows the importer fields the incident builder used', () => {
    expect([...IMPORTER_USER_COLUMNS]).toEqual([...incident.importerTouched.userColumns]);
    expect([...IMPORTER_META_KEYS]).toEqual([...incident.importerTouched.metaKeys]);
    expect(passwordResets).toBeGreaterThan(0);
  });

  it('plan changes nothing; the scope is the collided users, without the trap user; conflicts lie outside the allow-list', async () => {
    const before = await checksums(box);
    const report = await box.plan(restore, {
      backup: incident.backupFile,
      importBatch: incident.importBatch,
    });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(await checksums(box)).toEqual(before);

    const scoped = await scopeKeys(box, 'collided-users');
    expect(scoped).toEqual([...incident.collidedUserIds]);
    expect(scoped).not.toContain(incident.trapUserId);
    expect(step(report, 'batch-participants')?.rows).toBe(incident.imported.participantIds.length);
    expect(step(report, 'batch-results')?.rows).toBe(incident.imported.resultIds.length);

    const profile = usersProfile(report)!;
    expect(profile.allowList).toEqual([...IMPORTER_USER_COLUMNS]);
    const outside = profile.columns.filter((c) => c.outsideAllowList);
    expect(outside.map((c) => c.column)).toEqual(['user_pass']);
    expect(outside[0]?.differing).toBe(passwordResets);
    expect(step(report, 'meta-changed-since-backup')?.rows).toBeGreaterThan(0);
    // Migrated members whose ep_legacy_uid the importer overwrote: the final check sees them now.
    expect(step(report, 'no EP points at a foreign user')?.rows).toBeGreaterThan(0);
  });

  it('plan under replace, from the MySQL Shell dump: the legitimate changes show as conflicts', async () => {
    const before = await checksums(box);
    const report = await box.plan(restore, {
      backup: incident.shellDumpDir,
      importBatch: incident.importBatch,
      strategy: 'replace',
    });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(await checksums(box)).toEqual(before);
    const profile = usersProfile(report)!;
    const importer = new Set<string>(IMPORTER_USER_COLUMNS);
    const conflicts = profile.columns.filter((c) => c.differing > 0 && !importer.has(c.column));
    expect(conflicts.map((c) => [c.column, c.differing])).toEqual([['user_pass', passwordResets]]);
    // The profile itself says which columns the replace overwrites beyond the importer's allow-list.
    expect(profile.columns.filter((c) => c.outsideAllowList).map((c) => c.column)).toEqual(['user_pass']);
    const meta = report.driftProfiles.find((d) => d.table === 'wp_usermeta');
    expect(meta?.differingRows).toBeGreaterThan(0);
    expect(step(report, 'meta-changed-since-backup')?.rows).toBeGreaterThan(0);
  });

  for (const { strategy, source } of [
    { strategy: 'allowlist', source: 'mysqldump file' },
    { strategy: 'replace', source: 'MySQL Shell dump directory' },
  ] as const) {
    it(`apply ${strategy} from the ${source} → the expected state row for row; unscoped users untouched; undo puts everything back`, async () => {
      const params = {
        backup: source === 'mysqldump file' ? incident.backupFile : incident.shellDumpDir,
        importBatch: incident.importBatch,
        strategy,
      };
      const before = await checksums(box);
      const rowsBefore = await userRows(box, incident.collidedUserIds);
      const planned = await box.plan(restore, params);
      expect(planned.status, JSON.stringify(planned.error)).toBe('done');

      const report = await box.apply(restore, params, { confirmManual });
      expect(report.status, JSON.stringify(report.error)).toBe('done');
      expect(report.warnings).toEqual([]);

      const after = await userRows(box, incident.collidedUserIds);
      expect(after.scoped).toEqual(incident.expected[strategy]);
      expect(after.unscoped).toEqual(rowsBefore.unscoped);
      const participants = (await box.rows('wp_ep_participants')).map((r) => Number(r.id));
      const results = (await box.rows('wp_ep_results')).map((r) => Number(r.id));
      for (const id of incident.imported.participantIds) expect(participants).not.toContain(id);
      for (const id of incident.imported.resultIds) expect(results).not.toContain(id);
      expect(participants.length).toBe(
        incident.rowCounts.live.wp_ep_participants! - incident.imported.participantIds.length,
      );
      expect(results.length).toBe(
        incident.rowCounts.live.wp_ep_results! - incident.imported.resultIds.length,
      );
      expect(step(report, 'no EP points at a foreign user')?.rows).toBe(0);
      expect(step(report, 'no unscoped user changed')?.rows).toBe(0);

      // The password a member reset after the backup: kept by the allow-list, reverted by a replace.
      const reset = incident.legitimateChanges.find(
        (c) => incident.collidedUserIds.includes(c.userId) && c.userColumns.includes('user_pass'),
      )!;
      const pass = (rows: readonly Row[]) => rows.find((r) => Number(r.ID) === reset.userId)?.user_pass;
      const kept = pass(after.scoped.wp_users) === pass(rowsBefore.scoped.wp_users);
      expect(kept).toBe(strategy === 'allowlist');

      const undone = await box.undo(report.runId!);
      expect(undone.status, JSON.stringify(undone.error)).toBe('done');
      expect(await checksums(box)).toEqual(before);
    });
  }

  it('without an operator, the apply stops at the re-import step; --resume finishes it; undo covers both runs', async () => {
    const params = { backup: incident.backupFile, importBatch: incident.importBatch };
    const before = await checksums(box);
    const stopped = await box.apply(restore, params);
    expect(stopped.status, JSON.stringify(stopped.error)).toBe('awaiting');
    // The run is 'awaiting'; its manual step carries the error that says what to do next.
    expect(step(stopped, 'reimport')?.error?.name).toBe('ManualStepPendingError');
    expect(step(stopped, 'restore-users')?.status).toBe('done');

    const resumed = await box.apply(restore, params, { resume: true });
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    expect(step(resumed, 'restore-users')?.status).toBe('skipped');
    expect(step(resumed, 'no unscoped user changed')?.rows).toBe(0);
    expect((await userRows(box, incident.collidedUserIds)).scoped).toEqual(incident.expected.allowlist);

    const undone = await box.undo(resumed.runId!);
    expect(undone.status, JSON.stringify(undone.error)).toBe('done');
    expect(await checksums(box)).toEqual(before);
  });

  it('reads the backup from a schema on the same server, and from a standalone server', async () => {
    const base = { importBatch: incident.importBatch, backup: backupBox.schema };
    const fromSchema = await box.plan(restore, base);
    expect(fromSchema.status, JSON.stringify(fromSchema.error)).toBe('done');
    expect(step(fromSchema, 'backup')?.note).toContain(`schema ${backupBox.schema}`);
    expect(step(fromSchema, 'collided-users')?.rows).toBe(incident.collidedUserIds.length);

    const standalone = await box.plan(restore, {
      ...base,
      target: 'standalone',
      standaloneUrl: inject('mysqlUrl'),
    });
    expect(standalone.status, JSON.stringify(standalone.error)).toBe('done');
    expect(step(standalone, 'backup')?.note).toContain('server');
    expect(step(standalone, 'collided-users')?.rows).toBe(incident.collidedUserIds.length);
  });

  it('stops at a gate, changing nothing, when the batch is not what its import record says', async () => {
    const before = await checksums(box);
    const report = await box.plan(restore, { backup: incident.backupFile, importBatch: 'no-such-batch' });
    expect(report.status).toBe('failed');
    expect(report.error?.name).toBe('GateError');
    expect(report.steps.find((s) => s.status === 'failed')?.name).toBe('import-batch');
    expect(await checksums(box)).toEqual(before);
  });

  it('the trap is real: a naive "legacy UIDs that are user IDs now" scope would take the trap user', async () => {
    const { rows } = await sql<{ ID: string }>`
      SELECT DISTINCT u.ID FROM wp_ep_participants p JOIN wp_users u ON u.ID = p.legacy_uid
      WHERE p.import_batch = ${incident.importBatch} ORDER BY u.ID`.execute(box.target.db);
    const naive = rows.map((r) => Number(r.ID));
    expect(naive).toContain(incident.trapUserId);
    expect(naive.filter((id) => id !== incident.trapUserId)).toEqual([...incident.collidedUserIds]);
  });

  it('refuses params that do not fit together', async () => {
    await expect(
      box.plan(restore, { backup: 'x', importBatch: incident.importBatch, target: 'standalone' }),
    ).rejects.toThrow(/standaloneUrl/);
  });
});

/**
 * README.md is `rowback render` of a plan of the committed small fixture. The host and the sandbox's
 * random schema name are replaced by fixed ones so the text is stable.
 * Regenerate: ROWBACK_UPDATE_README=1 npx vitest run restores/20261126-wpca-uid-collision
 */
describe('20261126-wpca-uid-collision README.md', () => {
  it('is the rendered runbook of a plan of fixtures/incidents/wpca-small', async () => {
    const incident = JSON.parse(await readFile(join(SMALL, 'incident.json'), 'utf8')) as {
      importBatch: string;
    };
    await using box = await createSandbox({ url: inject('mysqlUrl') }, { prefix: 'wpcr' });
    await box.load({ file: join(SMALL, 'live.sql') });
    const report = await box.plan(restore, {
      backup: join(SMALL, 'backup.sql'),
      importBatch: incident.importBatch,
    });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    const stable: RunReport = { ...report, target: { ...report.target, host: 'db', schema: 'wpca_live' } };
    const rendered = renderRunbook(restore, { report: stable });
    if (process.env.ROWBACK_UPDATE_README) await writeFile(README, rendered);
    expect(await readFile(README, 'utf8')).toBe(rendered);
  });
});
