import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { sql } from 'kysely';
import { connect } from 'rowback';
import { findServerBinary } from 'rowback/testing';
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

/** Command lines of the processes on this machine that name `dir` (the demo's server runs in it). */
async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(dir)) found.push(`${pid}: ${cmdline.replaceAll('\0', ' ')}`);
  }
  return found;
}

/**
 * `npm run demo` as a user runs it, its temp files in a folder of its own (TMPDIR), no server given:
 * it starts its own. Ctrl-C is SIGINT to the terminal's whole process group (npm, node, the server).
 */
async function interruptedDemo(
  moment: RegExp,
): Promise<{ code: number | null; output: string; serverSeen: string[]; left: string[]; running: string[] }> {
  const tmp = await mkdtemp(join(tmpdir(), 'rb-demo-sigint-'));
  const { ROWBACK_TEST_DATABASE_URL: _given, ...env } = process.env;
  const child = spawn('npm', ['run', '-s', 'demo', '--', '--users', '200'], {
    cwd: REPO_ROOT,
    // npm's compile cache would land in TMPDIR too; it is not the demo's to remove.
    env: { ...env, TMPDIR: tmp, NO_COLOR: '1', CI: '', NODE_DISABLE_COMPILE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const reached = Promise.withResolvers<void>();
  const collect = (d: Buffer) => {
    output += d.toString();
    if (moment.test(output)) reached.resolve();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  // A shell shows a process that ended by a signal as 128 + its number (npm re-raises the SIGINT).
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 + constants.signals[signal] : null))),
  );
  void exited.then(() => reached.resolve());
  try {
    await reached.promise;
    const serverSeen = await processesIn(tmp);
    process.kill(-child.pid!, 'SIGINT');
    const code = await exited;
    return { code, output, serverSeen, left: await readdir(tmp), running: await processesIn(tmp) };
  } finally {
    // Whatever the outcome, nothing of this test outlives it.
    for (const line of await processesIn(tmp)) process.kill(Number(line.split(':')[0]), 'SIGKILL');
    await rm(tmp, { recursive: true, force: true });
  }
}

const binary = await findServerBinary();

describe.skipIf(!binary)('npm run demo, interrupted with Ctrl-C (its own ephemeral server)', () => {
  for (const [when, moment] of [
    ['while its server starts', /\[1\/6\] Starting a MySQL server/],
    ['while it builds the incident', /\[2\/6\] Building the incident/],
  ] as const) {
    it(`${when}: exits 130, its server process and its temp files are gone`, async () => {
      const result = await interruptedDemo(moment);
      expect(result.output).toMatch(moment);
      if (when === 'while it builds the incident') {
        expect(result.output).toMatch(/mariadb|mysql/i);
        // Its own server was running, from a data directory inside the demo's TMPDIR.
        expect(
          result.serverSeen.some((p) => /mariadbd|mysqld/.test(p)),
          result.serverSeen.join('\n'),
        ).toBe(true);
      }
      expect(result.output).toMatch(/SIGINT: stopping the demo's server and removing its files/);
      expect(result.code, result.output.slice(-2000)).toBe(130);
      expect(result.running).toEqual([]);
      expect(result.left).toEqual([]);
    }, 240_000);
  }
});
