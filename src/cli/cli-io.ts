import { createInterface } from 'node:readline/promises';

/**
 * The CLI's only door to the terminal. Commands write through it, so tests can run them in-process
 * and `--json` keeps stdout clean for scripts (human chatter goes to stderr then).
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** `--log-format` (else `ROWBACK_LOG_FORMAT`): `json` writes progress and errors as JSON lines. */
  readonly logFormat?: 'text' | 'json';
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    cwd: process.cwd(),
  };
}

export function isInteractive(io: CliIo): boolean {
  return Boolean(io.stdin.isTTY && io.stderr.isTTY);
}

/** Asks one question on the terminal (stderr, so stdout stays machine-readable). */
export async function ask(io: CliIo, question: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: Boolean(io.stdin.isTTY) });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export function writeLine(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
