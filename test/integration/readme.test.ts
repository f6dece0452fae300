import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { workspaceSchemaName } from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, runProcess } from '../support/run-cli.ts';

/** The ```sh blocks of the README's walkthrough, in order. */
function walkthroughCommands(readme: string): string[] {
  const section = readme.slice(readme.indexOf('## Walkthrough'), readme.indexOf('## The CLI'));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

function bash(script: string, env: Record<string, string>) {
  return runProcess('bash', ['-euo', 'pipefail', '-c', script], env);
}

const MODULE_DIR = join(REPO_ROOT, 'restores', '20261126-fix-user-emails');
// At the repository root, so the example's './restores/…' import works as written.
const EXAMPLE = join(REPO_ROOT, '.readme-library-example.ts');
/** The walkthrough's module keeps its workspace under the default name; this test owns it. */
const DROP_WORKSPACE = `DROP DATABASE IF EXISTS \`${workspaceSchemaName('20261126-fix-user-emails')}\``;
let box: Sandbox;
let backupSchema: string;

beforeAll(async () => {
  box = await createSandbox(
    { url: inject('mysqlUrl') },
    { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')] },
  );
  await box.load({
    sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          VALUES (1, 'ada', 'x', 'ada', 'ada@example.org', '2024-01-01 00:00:00', 'Ada'),
                 (2, 'bob', 'x', 'bob', 'bob@example.org', '2024-01-02 00:00:00', 'Bob')`,
  });
  await box.load({ sql: DROP_WORKSPACE });
  await rm(MODULE_DIR, { recursive: true, force: true }); // left by an interrupted earlier run
  backupSchema = box.schemaName('backup');
  await box.load({ sql: `CREATE DATABASE \`${backupSchema}\`` });
  await box.load({ sql: `CREATE TABLE \`${backupSchema}\`.wp_users LIKE wp_users` });
  await box.load({ sql: `INSERT INTO \`${backupSchema}\`.wp_users SELECT * FROM wp_users` });
  await box.load({
    sql: "UPDATE wp_users SET user_email = 'imported@example.org', display_name = 'Imported' WHERE ID = 2",
  });
});

afterAll(async () => {
  await rm(MODULE_DIR, { recursive: true, force: true });
  await rm(EXAMPLE, { force: true });
  await box?.load({ sql: DROP_WORKSPACE });
  await box?.drop();
});

describe('README walkthrough', () => {
  it('runs as written', async () => {
    const readme = await readFile(join(REPO_ROOT, 'README.md'), 'utf8');
    const blocks = walkthroughCommands(readme);
    expect(blocks.length).toBeGreaterThanOrEqual(4);
    const script = blocks
      .join('\n')
      .replace('mysql://root@127.0.0.1:3306/wordpress', box.url)
      .replaceAll('backupSchema=wp_backup', `backupSchema=${backupSchema}`);
    const damaged = await box.checksum('wp_users');
    const run = await bash(script, {
      ROWBACK_CONTROL_SCHEMA: box.controlSchema,
      ROWBACK_TEST_DATABASE_URL: inject('mysqlUrl'),
    });
    expect(run.code, run.output.slice(-4000)).toBe(0);
    // plan, apply and undo happened: the apply's report, then the undo put the damage back.
    expect(run.output).toMatch(/# apply 20261126-fix-user-emails: done/);
    expect(run.output).toMatch(/# undo 20261126-fix-user-emails: done/);
    expect(run.output).toMatch(/Dry run: nothing dropped/);
    expect(await readFile(join(MODULE_DIR, 'README.md'), 'utf8')).toMatch(/## Execution/);
    expect(await box.checksum('wp_users')).toBe(damaged);

    // The library example, with the module the walkthrough created.
    const example = readme.slice(readme.indexOf('## The library')).match(/```ts\n([\s\S]*?)```/)![1]!;
    await writeFile(
      EXAMPLE,
      example
        .replaceAll("'wp_backup'", `'${backupSchema}'`)
        .replace("controlSchema: 'rowback'", `controlSchema: '${box.controlSchema}'`),
    );
    const library = await bash(`node --conditions=rowback-source ${EXAMPLE}`, {
      ROWBACK_DATABASE_URL: box.url,
    });
    expect(library.code, library.output).toBe(0);
    expect(library.output).toMatch(/^done 1\ndone done\n$/);
    expect(await box.checksum('wp_users')).toBe(damaged);
  });
});
