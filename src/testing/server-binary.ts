import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import type { Flavour } from '../db/index.ts';
import { ServerStartError } from '../errors/index.ts';

const run = promisify(execFile);

/** A server binary found on this machine, with the tool that initializes a data directory for it. */
export interface ServerBinary {
  readonly path: string;
  readonly flavour: Flavour;
  readonly version: string;
  /** `mariadb-install-db` for MariaDB; MySQL initializes with the server binary itself. */
  readonly installDb: string | null;
}

/** Folders searched besides PATH: Debian puts the servers in /usr/sbin, which users often lack. */
const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/mysql/bin', '/usr/bin'];

export async function findExecutable(
  names: readonly string[],
  pathEnv = process.env.PATH ?? '',
): Promise<string | null> {
  const dirs = [...pathEnv.split(delimiter).filter(Boolean), ...EXTRA_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        await access(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not here; keep looking
      }
    }
  }
  return null;
}

/**
 * Finds `mariadbd` or `mysqld` and tells which server it is. Debian's `mysqld` is a link to `mariadbd`,
 * so the flavour comes from `--version`, not from the name.
 */
export async function findServerBinary(pathEnv?: string): Promise<ServerBinary | null> {
  const path = await findExecutable(['mariadbd', 'mysqld'], pathEnv);
  if (!path) return null;
  const { stdout } = await run(path, ['--version']);
  const flavour: Flavour = /mariadb/i.test(stdout) ? 'mariadb' : 'mysql';
  const version = /Ver\s+(\d+\.\d+\.\d+)/.exec(stdout)?.[1] ?? 'unknown';
  const installDb =
    flavour === 'mariadb' ? await findExecutable(['mariadb-install-db', 'mysql_install_db'], pathEnv) : null;
  return Object.freeze({ path, flavour, version, installDb });
}

/** The MariaDB server binary a MariaDB-only harness (Galera, GTID replicas) needs, or a clear error. */
export function requireMariadb(binary: ServerBinary | null, purpose: string, hint: string): ServerBinary {
  if (binary?.flavour === 'mariadb') return binary;
  throw new ServerStartError(
    `${purpose} needs MariaDB's mariadbd, found ${binary ? `${binary.flavour} at ${binary.path}` : 'no server binary'}`,
    { hint },
  );
}
