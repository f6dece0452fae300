import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { connect, sql } from 'rowback';
import { findServerBinary, startEphemeralServer } from 'rowback/testing';
import { describe, expect, it } from 'vitest';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const binary = await findServerBinary();

describe.skipIf(!binary)('ephemeral server (provider chain link 3)', () => {
  it('starts a private server, answers queries, and leaves nothing behind when stopped', async () => {
    const server = await startEphemeralServer(binary!);
    const port = Number(new URL(server.url).port);
    const target = await connect(server.url);
    const datadir = await sql<{ d: string }>`SELECT @@datadir AS d`.execute(target.db);
    const folder = datadir.rows[0]!.d;
    expect(server.provider).toBe('ephemeral');
    expect(target.server.flavour).toBe(binary!.flavour);
    expect(folder).toContain('rowback-mysql-');
    await target.close();
    await server.stop();
    expect(existsSync(folder)).toBe(false);
    expect(await portOpen(port)).toBe(false);
  });

  it('gives a second concurrent caller its own server', async () => {
    const [a, b] = await Promise.all([startEphemeralServer(binary!), startEphemeralServer(binary!)]);
    try {
      expect(a.url).not.toBe(b.url);
      const [ta, tb] = await Promise.all([connect(a.url), connect(b.url)]);
      await sql`CREATE DATABASE only_on_a`.execute(ta.db);
      const seen = await sql<{
        n: number;
      }>`SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'only_on_a'`.execute(
        tb.db,
      );
      expect(Number(seen.rows[0]!.n)).toBe(0);
      await Promise.all([ta.close(), tb.close()]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('fails with the tail of the error log when the server cannot start', async () => {
    await expect(
      startEphemeralServer(binary!, { serverArgs: ['--no-such-option-rowback'], startTimeoutMs: 30_000 }),
    ).rejects.toThrow(/did not accept connections[\s\S]*no-such-option-rowback/);
  });
});
