import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatConnectionUrl, parseConnectionUrl } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';

/** The Kubernetes Job's way in: the URL in a ConfigMap without a password, the password in a Secret file. */
describe('ROWBACK_DATABASE_PASSWORD_FILE', () => {
  let box: Sandbox;
  let dir: string;
  const user = `rbpw_${randomBytes(3).toString('hex')}`;
  const password = `pw:${randomBytes(8).toString('hex')}`;

  beforeAll(async () => {
    box = await createSandbox({ url: inject('mysqlUrl') });
    for (const host of ['%', 'localhost']) {
      await box.load({ sql: `CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'` });
      await box.load({ sql: `GRANT ALL ON *.* TO '${user}'@'${host}'` });
    }
    dir = await mkdtemp(join(tmpdir(), 'rbt-pwfile-'));
  });
  afterAll(async () => {
    for (const host of ['%', 'localhost'])
      await box?.load({ sql: `DROP USER IF EXISTS '${user}'@'${host}'` });
    await box?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the password from the file (one trailing newline dropped), refuses a URL with one too, never prints it', async () => {
    const { password: _none, ...base } = parseConnectionUrl(box.url);
    const url = formatConnectionUrl({ ...base, user });
    const file = join(dir, 'db-password');
    await writeFile(file, `${password}\n`);
    const status = ['status', '--control-schema', box.schemaName('ctl'), '--json'];
    const ok = await runCli(status, {
      env: { ROWBACK_DATABASE_URL: url, ROWBACK_DATABASE_PASSWORD_FILE: file },
    });
    expect(ok.code, ok.stderr).toBe(0);

    await writeFile(file, `${password}x\n`);
    const wrong = await runCli(status, {
      env: { ROWBACK_DATABASE_URL: url, ROWBACK_DATABASE_PASSWORD_FILE: file },
    });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toMatch(/cannot connect|Access denied/);

    const both = await runCli(status, {
      env: {
        ROWBACK_DATABASE_URL: formatConnectionUrl({ ...base, user, password }),
        ROWBACK_DATABASE_PASSWORD_FILE: file,
      },
    });
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/has a password and ROWBACK_DATABASE_PASSWORD_FILE is set/);

    const missing = await runCli(status, {
      env: { ROWBACK_DATABASE_URL: url, ROWBACK_DATABASE_PASSWORD_FILE: join(dir, 'absent') },
    });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/ROWBACK_DATABASE_PASSWORD_FILE .*absent: cannot read it/);
    for (const r of [ok, wrong, both, missing]) expect(r.stdout + r.stderr).not.toContain(password);
  });
});
