import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, quoteId, sql, type Target } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildIncident, type Incident, type Row } from '../../src/demo/index.ts';

const USERS = 200;
const SEED = 20261120;
const TABLES = [
  'wp_users',
  'wp_usermeta',
  'wp_ep_participants',
  'wp_ep_results',
  'wp_ep_events',
  'wp_ep_imports',
];
const ORDER: Readonly<Record<string, string>> = {
  wp_users: 'ID',
  wp_usermeta: 'umeta_id',
  wp_ep_participants: 'id',
  wp_ep_results: 'id',
  wp_ep_events: 'id',
  wp_ep_imports: 'batch_id',
};

type Snapshot = Readonly<Record<string, readonly Row[]>>;

async function snapshot(box: Sandbox): Promise<Snapshot> {
  const out: Record<string, Row[]> = {};
  for (const table of TABLES) out[table] = await box.rows(table, { orderBy: ORDER[table]! });
  return out;
}

async function checksums(target: Target, schema: string): Promise<Record<string, string>> {
  const { rows } = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${schema} ORDER BY TABLE_NAME`.execute(
    target.db,
  );
  const out: Record<string, string> = {};
  for (const { name } of rows) {
    const result = await sql
      .raw<{ Checksum: string }>(`CHECKSUM TABLE ${quoteId(schema)}.${quoteId(name)} EXTENDED`)
      .execute(target.db);
    out[name] = String(result.rows[0]?.Checksum);
  }
  return out;
}

const byKey = (rows: readonly Row[], key: string) => new Map(rows.map((r) => [String(r[key]), r]));
const metaOf = (rows: readonly Row[], userId: number) =>
  rows.filter((r) => Number(r.user_id) === userId).map((r) => [r.meta_key, r.meta_value]);

describe('incident builder', () => {
  let work: string;
  let live: Sandbox;
  let backup: Sandbox;
  let incident: Incident;
  const phases: Record<string, Snapshot> = {};

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'rb-incident-'));
    live = await createSandbox({ url: inject('mysqlUrl') });
    incident = await buildIncident(live.target, {
      users: USERS,
      seed: SEED,
      workDir: join(work, 'a'),
      onPhase: async (phase) => {
        phases[phase] = await snapshot(live);
      },
    });
    // The backup as an operator would restore it: the real dump file into another schema.
    backup = await createSandbox({ url: inject('mysqlUrl') });
    await backup.load({ file: incident.backupFile });
  });

  afterAll(async () => {
    await live?.drop();
    await backup?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('takes the backup with the real dump tool, and the dump holds the state before the import', async () => {
    const text = await readFile(incident.backupFile, 'utf8');
    expect(text).toMatch(/^(\/\*M!999999\\- enable the sandbox mode \*\/ \n)?-- (MariaDB|MySQL) dump/);
    expect(text).toMatch(/-- Dump completed on \d{4}-\d\d-\d\d/);
    expect(incident.backupCommand.join(' ')).toMatch(
      /(mariadb-dump|mysqldump) --no-defaults --single-transaction/,
    );
    const restored = await snapshot(backup);
    expect(restored).toEqual(phases.backup);
    for (const table of TABLES) expect(restored[table]!.length).toBe(incident.rowCounts.backup[table]);
  });

  it('overwrote exactly the collided users, only in the importer fields', () => {
    const before = phases['after-backup']!;
    const after = phases.import!;
    const beforeUsers = byKey(before.wp_users!, 'ID');
    const changedUsers = after.wp_users!.filter(
      (r) => JSON.stringify(r) !== JSON.stringify(beforeUsers.get(String(r.ID))),
    );
    expect(changedUsers.map((r) => Number(r.ID))).toEqual(incident.collidedUserIds);
    for (const row of changedUsers) {
      const old = beforeUsers.get(String(row.ID))!;
      const columns = Object.keys(row).filter((c) => row[c] !== old[c]);
      expect(incident.importerTouched.userColumns).toEqual(expect.arrayContaining(columns));
      expect(row.user_email).not.toBe(old.user_email);
    }
    const beforeMeta = byKey(before.wp_usermeta!, 'umeta_id');
    const changedMeta = after.wp_usermeta!.filter(
      (r) => JSON.stringify(r) !== JSON.stringify(beforeMeta.get(String(r.umeta_id))),
    );
    expect(changedMeta.length).toBeGreaterThan(0);
    expect(after.wp_usermeta!.length).toBeGreaterThanOrEqual(before.wp_usermeta!.length);
    const collided = new Set(incident.collidedUserIds);
    for (const row of changedMeta) {
      expect(collided.has(Number(row.user_id))).toBe(true);
      expect(incident.importerTouched.metaKeys).toContain(row.meta_key);
    }
    // Nothing was deleted by the import.
    const afterIds = new Set(after.wp_usermeta!.map((r) => String(r.umeta_id)));
    for (const id of beforeMeta.keys()) expect(afterIds.has(id)).toBe(true);
  });

  it('attached the batch to the wrong users, and stored unmatched legacy UIDs as guests', () => {
    const before = phases['after-backup']!;
    const after = phases.import!;
    const oldIds = new Set(before.wp_ep_participants!.map((r) => String(r.id)));
    const added = after.wp_ep_participants!.filter((r) => !oldIds.has(String(r.id)));
    expect(added.map((r) => Number(r.id))).toEqual(incident.imported.participantIds);
    for (const row of added) {
      expect(row.import_batch).toBe(incident.importBatch);
      const uid = Number(row.legacy_uid);
      if (incident.collidedUserIds.includes(uid)) expect(Number(row.user_id)).toBe(uid);
      else {
        expect(incident.nonCollidedLegacyUids).toContain(uid);
        expect(row.user_id).toBeNull();
      }
    }
    expect(new Set(added.map((r) => Number(r.user_id)).filter(Boolean))).toEqual(
      new Set(incident.collidedUserIds),
    );
    const oldResults = new Set(before.wp_ep_results!.map((r) => String(r.id)));
    const addedResults = after.wp_ep_results!.filter((r) => !oldResults.has(String(r.id)));
    expect(addedResults.map((r) => Number(r.id))).toEqual(incident.imported.resultIds);
    const imported = new Set(incident.imported.participantIds);
    for (const r of addedResults) expect(imported.has(Number(r.participant_id))).toBe(true);
  });

  it('every collided user differs from the backup; expected.replace is the backup', async () => {
    const final = await snapshot(live);
    const finalUsers = byKey(final.wp_users!, 'ID');
    const backupState = await snapshot(backup);
    const scoped = (rows: readonly Row[], key: string) =>
      rows.filter((r) => incident.collidedUserIds.includes(Number(r[key])));
    expect(incident.expected.replace.wp_users).toEqual(scoped(backupState.wp_users!, 'ID'));
    expect(incident.expected.replace.wp_usermeta).toEqual(scoped(backupState.wp_usermeta!, 'user_id'));
    for (const id of incident.collidedUserIds) {
      const expected = incident.expected.replace.wp_users.find((r) => Number(r.ID) === id);
      expect(finalUsers.get(String(id))).not.toEqual(expected);
    }
    // Users outside the scope: the import did not touch them (checked above); legit changes aside,
    // their rows equal the backup.
    const changed = new Set(incident.legitimateChanges.map((c) => c.userId));
    const backupUsers = byKey(backupState.wp_users!, 'ID');
    for (const row of final.wp_users!) {
      const id = Number(row.ID);
      if (incident.collidedUserIds.includes(id) || changed.has(id)) continue;
      expect(row).toEqual(backupUsers.get(String(id)));
      expect(metaOf(final.wp_usermeta!, id)).toEqual(metaOf(backupState.wp_usermeta!, id));
    }
  });

  it('keeps the legitimate changes in live and in the allow-list outcome, not in the replace outcome', async () => {
    const final = await snapshot(live);
    const backupState = await snapshot(backup);
    const collided = new Set(incident.collidedUserIds);
    const value = (rows: readonly Row[], id: number, column: string) =>
      rows.find((r) => Number(r.ID) === id)?.[column];
    const metaValues = (rows: readonly Row[], id: number, key: string) =>
      rows.filter((r) => Number(r.user_id) === id && r.meta_key === key).map((r) => r.meta_value);
    expect(incident.legitimateChanges.length).toBeGreaterThan(0);
    for (const change of incident.legitimateChanges) {
      if (change.kind === 'registration') {
        expect(final.wp_users!.some((r) => Number(r.ID) === change.userId)).toBe(true);
        expect(backupState.wp_users!.some((r) => Number(r.ID) === change.userId)).toBe(false);
        continue;
      }
      for (const column of change.userColumns) {
        expect(value(final.wp_users!, change.userId, column)).not.toEqual(
          value(backupState.wp_users!, change.userId, column),
        );
      }
      for (const key of change.metaKeys) {
        const live = metaValues(final.wp_usermeta!, change.userId, key);
        expect(live).not.toEqual(metaValues(backupState.wp_usermeta!, change.userId, key));
        if (collided.has(change.userId)) {
          expect(metaValues(incident.expected.allowlist.wp_usermeta, change.userId, key)).toEqual(live);
          expect(metaValues(incident.expected.replace.wp_usermeta, change.userId, key)).toEqual(
            metaValues(backupState.wp_usermeta!, change.userId, key),
          );
        }
      }
      if (collided.has(change.userId)) {
        for (const column of change.userColumns) {
          expect(value(incident.expected.allowlist.wp_users, change.userId, column)).toEqual(
            value(final.wp_users!, change.userId, column),
          );
        }
      }
    }
    // Allow-list: the importer's fields are the backup's, for every collided user.
    for (const id of incident.collidedUserIds) {
      for (const column of incident.importerTouched.userColumns) {
        expect(value(incident.expected.allowlist.wp_users, id, column)).toEqual(
          value(backupState.wp_users!, id, column),
        );
      }
      for (const key of incident.importerTouched.metaKeys) {
        expect(metaValues(incident.expected.allowlist.wp_usermeta, id, key)).toEqual(
          metaValues(backupState.wp_usermeta!, id, key),
        );
      }
    }
    // The trap user registered after the import with a guest's legacy UID as ID: live, not damaged.
    expect(incident.nonCollidedLegacyUids).toContain(incident.trapUserId);
    expect(final.wp_users!.some((r) => Number(r.ID) === incident.trapUserId)).toBe(true);
    expect(incident.collidedUserIds).not.toContain(incident.trapUserId);
  });

  it('is deterministic: same seed, same schema name → same dump bytes (but the date line) and checksums', async () => {
    const admin = await connect(inject('mysqlUrl'));
    const target = await connect(live.url);
    try {
      const first = await checksums(admin, live.schema);
      await sql.raw(`DROP DATABASE ${quoteId(live.schema)}`).execute(admin.db);
      await sql.raw(`CREATE DATABASE ${quoteId(live.schema)}`).execute(admin.db);
      const again = await buildIncident(target, { users: USERS, seed: SEED, workDir: join(work, 'b') });
      expect(await checksums(admin, live.schema)).toEqual(first);
      const withoutDate = (text: string) => text.replace(/^-- Dump completed on .*$/m, '');
      const [dumpA, dumpB] = await Promise.all([
        readFile(incident.backupFile, 'utf8'),
        readFile(again.backupFile, 'utf8'),
      ]);
      expect(withoutDate(dumpB)).toBe(withoutDate(dumpA));
      expect(dumpB).not.toBe(''); // sanity: a real dump
      const files = (await readdir(incident.shellDumpDir)).sort();
      expect((await readdir(again.shellDumpDir)).sort()).toEqual(files);
      for (const file of files.filter((f) => !['@.json', '@.done.json'].includes(f))) {
        const [a, b] = await Promise.all([
          readFile(join(incident.shellDumpDir, file)),
          readFile(join(again.shellDumpDir, file)),
        ]);
        expect(b.equals(a), file).toBe(true);
      }
      const { backupFile: _a, shellDumpDir: _b, backupCommand: _c, ...truthA } = incident;
      const { backupFile: _d, shellDumpDir: _e, backupCommand: _f, ...truthB } = again;
      expect(truthB).toEqual(truthA);
    } finally {
      await target.close();
      await admin.close();
    }
  });
});
