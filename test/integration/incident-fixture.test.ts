import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zstdDecompressSync } from 'node:zlib';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { allowlistState } from '../../src/demo/expected-state.ts';
import { buildIncident, type Incident, type Row } from '../../src/demo/index.ts';

const DIR = 'fixtures/incidents/wpca-small';

type Truth = Omit<Incident, 'backupFile' | 'shellDumpDir' | 'backupCommand' | 'tables'>;

const scoped = (rows: readonly Row[], key: string, ids: readonly number[]) =>
  rows.filter((r) => ids.includes(Number(r[key])));

describe('committed fixture wpca-small', () => {
  let truth: Truth;
  let backup: Sandbox;
  let live: Sandbox;
  /** One rebuild from the fixture's seed, shared by the two tests below (dropped in afterAll). */
  let rebuilding: Promise<{ rebuilt: Incident; box: Sandbox }> | undefined;
  let rebuildBox: Sandbox | undefined;
  let workDir: string | undefined;
  const rebuild = () => {
    rebuilding ??= (async () => {
      workDir = await mkdtemp(join(tmpdir(), 'rb-fixture-'));
      const box = await createSandbox({ url: inject('mysqlUrl') });
      rebuildBox = box;
      const rebuilt = await buildIncident(box.target, {
        users: truth.usersInBackup,
        seed: truth.seed,
        workDir,
        bytesPerChunk: 131_072,
      });
      return { rebuilt, box };
    })();
    return rebuilding;
  };

  beforeAll(async () => {
    truth = JSON.parse(await readFile(join(DIR, 'incident.json'), 'utf8')) as Truth;
    backup = await createSandbox({ url: inject('mysqlUrl') });
    live = await createSandbox({ url: inject('mysqlUrl') });
    await backup.load({ file: join(DIR, 'backup.sql') });
    await live.load({ file: join(DIR, 'live.sql') });
  });

  afterAll(async () => {
    await backup?.drop();
    await live?.drop();
    await rebuildBox?.drop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('its ground truth matches its dumps', async () => {
    const ids = truth.collidedUserIds;
    const backupState = {
      wp_users: scoped(await backup.rows('wp_users', { orderBy: 'ID' }), 'ID', ids),
      wp_usermeta: scoped(await backup.rows('wp_usermeta', { orderBy: 'umeta_id' }), 'user_id', ids),
    };
    const liveState = {
      wp_users: scoped(await live.rows('wp_users', { orderBy: 'ID' }), 'ID', ids),
      wp_usermeta: scoped(await live.rows('wp_usermeta', { orderBy: 'umeta_id' }), 'user_id', ids),
    };
    expect(truth.expected.replace).toEqual(backupState);
    expect(truth.expected.allowlist).toEqual(allowlistState(backupState, liveState));
    for (const [table, count] of Object.entries(truth.rowCounts.backup)) {
      expect((await backup.rows(table)).length, table).toBe(count);
    }
    for (const [table, count] of Object.entries(truth.rowCounts.live)) {
      expect((await live.rows(table)).length, table).toBe(count);
    }
    const done = JSON.parse(await readFile(join(DIR, 'backup-mysqlsh', '@.done.json'), 'utf8')) as {
      tableRows: Record<string, Record<string, number>>;
    };
    for (const [table, count] of Object.entries(truth.rowCounts.backup)) {
      expect(done.tableRows[truth.schema]![table], table).toBe(count);
    }
  });

  it('is what the builder makes from its seed (ground truth and MySQL Shell dump bytes)', async () => {
    const { rebuilt, box } = await rebuild();
    const { backupFile: _a, shellDumpDir: _b, backupCommand: _c, tables: _d, ...rebuiltTruth } = rebuilt;
    expect(JSON.parse(JSON.stringify({ ...rebuiltTruth, schema: truth.schema }))).toEqual(truth);
    // rowback's own shell-dump writer made these chunks: they do not depend on the dump tool.
    const mine = (await readdir(rebuilt.shellDumpDir)).filter((f) => f.endsWith('.tsv.zst')).sort();
    const theirs = (await readdir(join(DIR, 'backup-mysqlsh'))).filter((f) => f.endsWith('.tsv.zst')).sort();
    expect(mine.map((f) => f.replace(`${box.schema}@`, ''))).toEqual(
      theirs.map((f) => f.replace(`${truth.schema}@`, '')),
    );
    for (const [i, file] of mine.entries()) {
      const a = zstdDecompressSync(await readFile(join(rebuilt.shellDumpDir, file)));
      const b = zstdDecompressSync(await readFile(join(DIR, 'backup-mysqlsh', theirs[i]!)));
      expect(a.equals(b), file).toBe(true);
    }
  });

  it('is what the builder makes from its seed (mysqldump bytes, where the server and dump tool match)', async ({
    skip,
  }) => {
    const { rebuilt, box } = await rebuild();
    const committed = await readFile(join(DIR, 'backup.sql'), 'utf8');
    const fresh = await readFile(rebuilt.backupFile, 'utf8');
    const header = (text: string) =>
      text.split('\n').filter((l) => /^-- (MariaDB|MySQL) dump|^-- Server version/.test(l));
    // Another dump tool or server writes other bytes for the same rows: skipped (visibly), not passed.
    skip(
      JSON.stringify(header(fresh)) !== JSON.stringify(header(committed)),
      `dump tool or server differs (${header(fresh).join(' / ')} vs ${header(committed).join(' / ')})`,
    );
    expect(header(fresh).length).toBeGreaterThan(0);
    // The schema name is in the header and the routines comment; the dump date changes every run.
    const normalize = (text: string, schema: string) =>
      text.replace(/^-- Dump completed on .*$/m, '').replaceAll(schema, '<schema>');
    expect(normalize(fresh, box.schema)).toBe(normalize(committed, truth.schema));
  });
});
