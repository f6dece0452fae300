import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createConnection } from 'mysql2/promise';
import { ServerStartError } from '../errors/index.ts';
import type { MysqlServer } from './mysql-server.ts';
import type { ServerBinary } from './server-binary.ts';
import { tailFile } from './tail-file.ts';

const run = promisify(execFile);

export interface EphemeralServerOptions {
  /** Extra server options, e.g. `['--innodb-force-primary-key=ON']`; also from ROWBACK_TEST_SERVER_ARGS. */
  readonly serverArgs?: readonly string[];
  /** How long to wait for the server to accept connections. */
  readonly startTimeoutMs?: number;
  /** The SQL port on 127.0.0.1; a free one when not given (a cluster hands out its ports itself). */
  readonly port?: number;
  /** Options for the first start only, e.g. `--wsrep-new-cluster`: a restart must join, not bootstrap. */
  readonly firstStartArgs?: readonly string[];
  /**
   * Lets every user write the server's folder before each start, and makes the server create its
   * files 0666 / folders 0777. Galera's rsync SST daemon, started by a server running as root,
   * writes as `nobody`: it cannot chmod root's files, nor chgrp the files it updates in place, so
   * as root the folder is also handed to `nobody` (the server, as root, still reads everything).
   */
  readonly openToAllUsers?: boolean;
}

/** A private server started by this process: besides the common handle, what fault tests need. */
export interface EphemeralServer extends MysqlServer {
  readonly port: number;
  /** The server's error log, for a test's failure message. */
  readonly errorLog: string;
  /** Ends the server with SIGKILL (no shutdown, as a crash would) and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts a stopped or killed server again on the same folder and port (without `firstStartArgs`). */
  start(): Promise<void>;
}

/**
 * Starts a private server: a fresh data directory in a temp folder, a free port on 127.0.0.1 and its own
 * socket, root without a password. `stop()` ends it by PID and removes the folder.
 */
export async function startEphemeralServer(
  binary: ServerBinary,
  options: EphemeralServerOptions = {},
): Promise<EphemeralServer> {
  const base = await mkdtemp(join(tmpdir(), 'rowback-mysql-'));
  const paths = {
    datadir: join(base, 'data'),
    socket: join(base, 'mysqld.sock'),
    pidFile: join(base, 'mysqld.pid'),
    errorLog: join(base, 'error.log'),
    // Private temp folder: concurrent bootstraps in a shared /tmp collide on their temp table names.
    tmpdir: join(base, 'tmp'),
  };
  try {
    await mkdir(paths.tmpdir);
    await initializeDataDir(binary, paths.datadir, paths.tmpdir);
  } catch (cause) {
    await rm(base, { recursive: true, force: true });
    throw new ServerStartError(
      `initializing a data directory with ${binary.installDb ?? binary.path} failed`,
      {
        cause,
        hint: `run it by hand to see why: ${(cause as { stderr?: string }).stderr?.slice(-2000) ?? ''}`,
      },
    );
  }
  const port = options.port ?? (await freePort());
  const user = userInfo().username;
  const args = [
    '--no-defaults', // ignore /etc/mysql so the machine's own server config never leaks in
    `--user=${user}`,
    `--datadir=${paths.datadir}`,
    `--socket=${paths.socket}`,
    `--pid-file=${paths.pidFile}`,
    `--log-error=${paths.errorLog}`,
    `--tmpdir=${paths.tmpdir}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    '--skip-log-bin',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_unicode_ci',
    '--innodb-buffer-pool-size=256M',
    '--max-allowed-packet=256M',
    '--local-infile=1',
    // Test servers trade durability for speed; crash tests kill the client, not this server.
    '--innodb-flush-log-at-trx-commit=2',
    ...(binary.flavour === 'mysql' ? ['--mysqlx=OFF'] : []),
    ...(options.serverArgs ?? []),
    ...envServerArgs(),
  ];
  const url = `mysql://root@127.0.0.1:${port}`;
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  // The server's umask for the files it creates (mariadbd reads UMASK / UMASK_DIR at start).
  const env = options.openToAllUsers ? { ...process.env, UMASK: '0666', UMASK_DIR: '0777' } : process.env;
  const start = async (extra: readonly string[]) => {
    // Every start: files the server created while it ran (e.g. Galera's own tables) are root's again.
    if (options.openToAllUsers) await openTree(base);
    return launch(binary, [...args, ...extra], env, paths.errorLog, port, timeoutMs);
  };
  let child: ChildProcess;
  try {
    child = await start(options.firstStartArgs ?? []);
  } catch (error) {
    await rm(base, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;
  const stopProcess = async () => {
    await terminate(child);
  };
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopProcess();
    await rm(base, { recursive: true, force: true });
  };
  return Object.freeze({
    url,
    flavour: binary.flavour,
    version: binary.version,
    provider: 'ephemeral' as const,
    port,
    errorLog: paths.errorLog,
    restart: async () => {
      await stopProcess();
      child = await start([]);
    },
    kill: async () => {
      await terminate(child, 'SIGKILL');
    },
    start: async () => {
      if (child.exitCode === null && child.signalCode === null) return;
      child = await start([]);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  });
}

function envServerArgs(): string[] {
  return (process.env.ROWBACK_TEST_SERVER_ARGS ?? '').split(/\s+/).filter(Boolean);
}

async function initializeDataDir(binary: ServerBinary, datadir: string, tmpdir: string): Promise<void> {
  const user = userInfo().username;
  const env = { ...process.env, TMPDIR: tmpdir };
  if (binary.flavour === 'mariadb') {
    await run(
      binary.installDb ?? 'mariadb-install-db',
      [
        '--no-defaults',
        `--user=${user}`,
        `--datadir=${datadir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        `--tmpdir=${tmpdir}`,
      ],
      { timeout: 120_000, env },
    );
  } else {
    await run(
      binary.path,
      ['--no-defaults', '--initialize-insecure', `--user=${user}`, `--datadir=${datadir}`],
      {
        timeout: 120_000,
      },
    );
  }
}

async function launch(
  binary: ServerBinary,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  errorLog: string,
  port: number,
  timeoutMs: number,
): Promise<ChildProcess> {
  const child = spawn(binary.path, args, { stdio: 'ignore', env });
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });
  // The test run must not wait for the server to end; stop() ends it.
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) break;
    try {
      const connection = await createConnection({
        host: '127.0.0.1',
        port,
        user: 'root',
        connectTimeout: 2000,
      });
      await connection.end();
      return child;
    } catch {
      await sleep(100);
    }
  }
  await terminate(child);
  throw new ServerStartError(
    `${binary.path} did not accept connections on 127.0.0.1:${port} (${exited ?? `timed out after ${timeoutMs} ms`})`,
    { hint: `server error log, last lines:\n${await tailFile(errorLog, 30)}` },
  );
}

async function terminate(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // The child was unref'd so a test run need not wait for it; while stopping we do wait, or a plain
  // script would exit before the server finished shutting down and leave its folder behind.
  child.ref();
  child.kill(signal);
  const clean = await Promise.race([exited.then(() => true), sleep(30_000, false, { ref: false })]);
  if (!clean) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** See `openToAllUsers`. */
async function openTree(root: string): Promise<void> {
  await run('chmod', ['-R', 'a+rwX', root]);
  if (process.getuid?.() === 0) await run('chown', ['-R', 'nobody:', root]);
}

/** Asks the kernel for a free port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  if (port === undefined) throw new Error('no port');
  return port;
}

/** `count` distinct free ports: every listener stays open until all are taken, so none comes twice. */
export async function freePorts(count: number): Promise<readonly number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => {
              const address = server.address();
              typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}
