import { PassThrough } from 'node:stream';
import { describe, expect, inject, it } from 'vitest';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { main } from '../../src/cli/main.ts';
import { REPO_ROOT } from '../support/run-cli.ts';

function capturedIo(env: Readonly<Record<string, string>>): {
  io: CliIo;
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const io: CliIo = { stdout, stderr, stdin: new PassThrough(), env, cwd: REPO_ROOT };
  return { io, out: () => out, err: () => err };
}

describe('rowback demo --source binlog', () => {
  it('undoes the import from the binary log of its private server and matches the ground truth', async () => {
    // No ROWBACK_TEST_DATABASE_URL: the provider chain starts a private server, with log-bin.
    const { io, out, err } = capturedIo({});
    const code = await main(['demo', '--source', 'binlog', '--users', '200', '--seed', '7'], io);
    expect(code, `${err()}\n${out().slice(-3000)}`).toBe(0);
    expect(out()).toContain('# apply 20261204-wpca-uid-collision-binlog: done');
    expect(out()).toMatch(/✓ wp_users of the \d+ collided users are as they were just before the import/);
    expect(out()).toMatch(/logins after it are kept/);
    expect(out()).toContain('The restore matched the ground truth.');
    expect(out()).not.toContain('✗');
  });

  it('refuses a server without a row binary log, naming the settings', async () => {
    const { io, err } = capturedIo({ ROWBACK_TEST_DATABASE_URL: inject('mysqlUrl') });
    const code = await main(['demo', '--source', 'binlog', '--users', '200'], io);
    expect(code).not.toBe(0);
    expect(err()).toMatch(/log_bin \/ binlog_format \/ binlog_row_image must be ON \/ ROW \/ FULL/);
  });
});
