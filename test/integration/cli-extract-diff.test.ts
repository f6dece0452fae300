import { join } from 'node:path';
import { sql } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, runCli } from '../support/run-cli.ts';

const FIXTURE = join(REPO_ROOT, 'fixtures/incidents/wpca-small');
let box: Sandbox;

beforeAll(async () => {
  box = await createSandbox({ url: inject('mysqlUrl') });
});
afterAll(async () => box?.drop());

describe('rowback extract and diff', () => {
  it('extracts the same tables from a mysqldump file and a MySQL Shell dump, with equal checksums', async () => {
    const fromDump = box.schemaName('dump');
    const fromShell = box.schemaName('shell');
    const env = { ROWBACK_DATABASE_URL: box.url };
    const a = await runCli(
      [
        'extract',
        '--from',
        join(FIXTURE, 'backup.sql'),
        '--tables',
        'wp_users,wp_usermeta',
        '--into',
        fromDump,
        '--json',
      ],
      { env },
    );
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(
      [
        'extract',
        '--from',
        join(FIXTURE, 'backup-mysqlsh'),
        '--tables',
        'wp_users,wp_usermeta',
        '--into',
        fromShell,
        '--json',
      ],
      { env },
    );
    expect(b.code, b.stderr).toBe(0);
    const sums = (out: string) =>
      (JSON.parse(out).tables as { sourceTable: string; rows: number; checksum: string }[]).map((t) => [
        t.sourceTable,
        t.rows,
        t.checksum,
      ]);
    expect(sums(a.stdout)).toEqual(sums(b.stdout));
    expect(sums(a.stdout)[0]![1]).toBeGreaterThan(100);

    await sql
      .raw(`UPDATE \`${fromShell}\`.wp_users SET display_name = 'changed' WHERE ID IN (3, 5)`)
      .execute(box.target.db);
    const diff = await runCli(['diff', `${fromDump}.wp_users`, `${fromShell}.wp_users`, '--json'], { env });
    expect(diff.code, diff.stderr).toBe(0);
    const result = JSON.parse(diff.stdout);
    expect(result).toMatchObject({ changed: 2, onlyLeft: 0, onlyRight: 0 });
    expect(result.columnCounts.display_name).toBe(2);
    const human = await runCli(['diff', `${fromDump}.wp_users`, `${fromShell}.wp_users`], { env });
    expect(human.stdout).toMatch(/2 changed/);
    expect(human.stdout).toMatch(/display_name: .* → changed/);
  });

  it('says what is wrong with a missing file and an unknown table', async () => {
    const env = { ROWBACK_DATABASE_URL: box.url };
    const missing = await runCli(
      ['extract', '--from', '/nonexistent.sql', '--tables', 'wp_users', '--into', box.schemaName('x')],
      { env },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no such file/);
    const unknown = await runCli(
      [
        'extract',
        '--from',
        join(FIXTURE, 'backup.sql'),
        '--tables',
        'no_such_table',
        '--into',
        box.schemaName('y'),
      ],
      { env },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no_such_table/);
  });
});
