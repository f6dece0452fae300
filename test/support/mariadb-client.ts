import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { parseConnectionUrl } from 'rowback';

/**
 * Connection arguments for the server's own command-line tools (`mariadb`, `mariadb-dump`): the socket
 * when the URL names one, else TCP host and port; the password travels in MYSQL_PWD, never in argv.
 * `--ssl` is TLS when the server offers it and clear text when not (checked with the 10.11 client):
 * a MySQL 8 container's caching_sha2_password refuses a first clear-text login over TCP without it.
 */
export function clientConnection(url: string): { readonly args: string[]; readonly env: NodeJS.ProcessEnv } {
  const o = parseConnectionUrl(url);
  return {
    args: [
      '--no-defaults',
      '--ssl',
      `--user=${o.user}`,
      ...(o.socketPath
        ? [`--socket=${o.socketPath}`]
        : [`--host=${o.host}`, `--port=${o.port}`, '--protocol=TCP']),
    ],
    env: { ...process.env, ...(o.password ? { MYSQL_PWD: o.password } : {}) },
  };
}

/** Runs `tool` against the server of `url`, feeding `input` to stdin; rejects with the tool's stderr. */
export function runClientTool(
  tool: 'mariadb' | 'mariadb-dump',
  url: string,
  args: readonly string[],
  input?: { file: string } | { text: string | Buffer },
): Promise<void> {
  const connection = clientConnection(url);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(tool, [...connection.args, ...args], {
      stdio: [input ? 'pipe' : 'ignore', 'ignore', 'pipe'],
      env: connection.env,
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${tool} exited ${code}: ${stderr}`)),
    );
    if (input && 'file' in input) createReadStream(input.file).pipe(child.stdin!);
    else if (input) child.stdin!.end(input.text);
  });
}
