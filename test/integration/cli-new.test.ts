import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, runCli, runProcess } from '../support/run-cli.ts';

// The scaffold is written into the real restores/ folder (its test imports ../../fixtures) and removed after.
const ID = '19991231-scaffold-check';
const dir = join(REPO_ROOT, 'restores', ID);

afterAll(() => rm(dir, { recursive: true, force: true }));

function vitest(args: readonly string[], env: Record<string, string>) {
  return runProcess(process.execPath, [join(REPO_ROOT, 'node_modules/vitest/vitest.mjs'), ...args], env);
}

describe('rowback new', () => {
  it('scaffolds a module whose generated test passes as generated', async () => {
    const created = await runCli(['new', 'scaffold-check', '--date', '19991231']);
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/Created restores\/19991231-scaffold-check\/index.ts/);
    expect(existsSync(join(dir, 'index.test.ts'))).toBe(true);
    const again = await runCli(['new', 'scaffold-check', '--date', '19991231']);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/exists already/);

    // `npm test` lints first, so a scaffold that is not formatted as Biome wants fails the user's
    // first test run before their module is even looked at.
    const lint = await runProcess(process.execPath, [
      join(REPO_ROOT, 'node_modules/@biomejs/biome/bin/biome'),
      'check',
      dir,
    ]);
    expect(lint.code, lint.output).toBe(0);

    const run = await vitest(['run', '--project', 'integration', `restores/${ID}`], {
      ROWBACK_TEST_DATABASE_URL: inject('mysqlUrl'),
    });
    expect(run.code, run.output.slice(-3000)).toBe(0);
    expect(run.output).toMatch(/1 passed/);
  });

  it('refuses a slug that does not make an id', async () => {
    const bad = await runCli(['new', 'Bad Slug']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/lowercase letters, digits and dashes/);
  });
});
