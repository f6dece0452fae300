import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import type { ConnectionOptions } from '../db/index.ts';
import { findExecutable } from '../testing/server-binary.ts';

/** Finds `mariadb-dump` or `mysqldump` (PATH, then the usual folders); throws an error that says how to get one. */
export async function findMysqldump(pathEnv = process.env.PATH ?? ''): Promise<string> {
  const found = await findExecutable(['mariadb-dump', 'mysqldump'], pathEnv);
  if (found) return found;
  throw new Error(
    'no mariadb-dump or mysqldump on PATH or in /usr/bin: the incident backup is taken with the real dump ' +
      'tool; install it (e.g. apt-get install mariadb-client) or put it on PATH',
  );
}

export interface MysqldumpOptions {
  readonly connection: ConnectionOptions;
  readonly schema: string;
  readonly file: string;
  readonly binary?: string;
}

/** The flags of the backup, also written into the fixture README. */
export const MYSQLDUMP_FLAGS = Object.freeze([
  '--no-defaults',
  '--single-transaction',
  '--quick',
  '--routines',
  '--triggers',
  '--default-character-set=utf8mb4',
]);

/**
 * Takes the backup the way an operator does: `mariadb-dump --single-transaction <schema> > file`. The
 * password goes through `MYSQL_PWD`, never argv (visible in `ps`). `--no-defaults` keeps a local
 * `~/.my.cnf` or `/etc/mysql` from changing the output, so a seed gives the same bytes everywhere.
 */
export async function runMysqldump(
  options: MysqldumpOptions,
): Promise<{ readonly binary: string; readonly args: readonly string[] }> {
  const binary = options.binary ?? (await findMysqldump());
  const { connection } = options;
  const args = [
    ...MYSQLDUMP_FLAGS,
    `--user=${connection.user}`,
    ...(connection.socketPath
      ? [`--socket=${connection.socketPath}`]
      : [`--host=${connection.host}`, `--port=${connection.port}`, '--protocol=TCP']),
    options.schema,
  ];
  const out = createWriteStream(options.file);
  await once(out, 'open');
  const env = {
    ...process.env,
    ...(connection.password !== undefined ? { MYSQL_PWD: connection.password } : {}),
  };
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout.pipe(out);
  const [code] = (await once(child, 'close')) as [number | null];
  if (!out.writableFinished) await once(out, 'finish');
  if (code !== 0) {
    throw new Error(`${binary} exited with ${code} dumping schema ${options.schema}: ${stderr.trim()}`);
  }
  return { binary, args };
}
