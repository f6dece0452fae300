import { existsSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { connect } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { main } from '../../src/cli/main.ts';
import { REPO_ROOT } from '../support/run-cli.ts';

/** A CLI io whose output is collected; the server comes from the test run (provider chain, link 1). */
function capturedIo(): { io: CliIo; stdout: () => string; stderr: () => string } {
  const chunks = { out: '', err: '' };
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => {
    chunks.out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    chunks.err += d.toString();
  });
  const io: CliIo = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env: { ROWBACK_TEST_DATABASE_URL: inject('mysqlUrl') },
    cwd: REPO_ROOT,
  };
  return { io, stdout: () => chunks.out, stderr: () => chunks.err };
}

describe('rowback demo', () => {
  it('builds the incident, plans, applies, matches the ground truth, and leaves nothing behind', async () => {
    const { io, stdout, stderr } = capturedIo();
    const code = await main(['demo', '--users', '200', '--seed', '7'], io);
    const out = stdout();
    expect(code, `${stderr()}\n${out.slice(-3000)}`).toBe(0);
    expect(out).toContain('The restore matched the ground truth.');
    expect(out).not.toContain('✗');
    for (const section of [
      '# plan 20261126-wpca-uid-collision: done',
      '## Column drift: wp_users',
      '# apply 20261126-wpca-uid-collision: done',
      '## Decisions',
    ]) {
      expect(out).toContain(section);
    }
    expect(out).toMatch(/Confirmed automatically/);
    // The server came from ROWBACK_TEST_DATABASE_URL: it is the user's, and it is not removed.
    expect(out).toContain("the demo's schemas and the temp files are removed now");

    const workDir = /--param backup=(\S+)\/backup\.sql/.exec(out)?.[1];
    expect(workDir).toBeDefined();
    expect(existsSync(workDir!)).toBe(false);
    const schema = /in schema (rbdemo_[0-9a-f]+)/.exec(out)?.[1];
    expect(schema).toBeDefined();
    const admin = await connect(inject('mysqlUrl'));
    try {
      const { rows } = await sql<{ n: number | string }>`
        SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ${`${schema}%`}`.execute(
        admin.db,
      );
      expect(Number(rows[0]?.n)).toBe(0);
    } finally {
      await admin.close();
    }
  });

  it('refuses a size below the incident builder minimum before starting anything', async () => {
    const { io, stderr } = capturedIo();
    expect(await main(['demo', '--users', '10'], io)).toBe(2);
    expect(stderr()).toMatch(/--users must be an integer ≥ 50/);
  });
});
