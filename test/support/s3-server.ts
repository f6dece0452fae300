import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CreateBucketCommand, HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** One request the test S3 server answered. */
export interface S3Request {
  readonly method: string;
  readonly path: string;
  readonly range: string | null;
  readonly status: number;
  /** Response body bytes sent. */
  readonly bytes: number;
}

/**
 * A running S3-compatible server on loopback (s3rver behind a SigV4 check, in a process of its own)
 * and what it was asked.
 */
export interface S3TestServer {
  readonly endpoint: string;
  /** The only credentials s3rver knows. */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Requests answered so far, in order. */
  requests(): readonly S3Request[];
  /** Forgets the requests seen so far (to measure one read). */
  resetRequests(): void;
  /**
   * Resolves once every request answered before the call is in `requests()`: the log lines come over
   * a pipe, so a marker request is sent and its own line awaited (lines arrive in answer order).
   */
  sync(): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const PROCESS = new URL('./s3rver-process.ts', import.meta.url).pathname;

/** Starts s3rver on 127.0.0.1 with an empty store in a temporary folder (removed by `stop`). */
export async function startS3Server(): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'rbt-s3-'));
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', PROCESS, directory], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let seen: S3Request[] = [];
  let markers = 0;
  const waiting = new Map<string, () => void>();
  const lines = createInterface({ input: child.stdout! });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before listening`)));
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { port?: number } & S3Request;
      if (message.port !== undefined) resolve(message.port);
      else if (waiting.has(message.path)) waiting.get(message.path)!();
      else seen.push(message);
    });
  });
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
    await rm(directory, { recursive: true, force: true });
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requests: () => [...seen],
    resetRequests: () => {
      seen = [];
    },
    async sync() {
      const path = `/rbt-sync-marker-${++markers}`;
      const logged = new Promise<void>((resolve) => waiting.set(path, resolve));
      await (await fetch(`http://127.0.0.1:${port}${path}`)).arrayBuffer();
      await logged;
      waiting.delete(path);
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** An SDK client for the test server, with its (or the given) credentials. */
export function s3ClientFor(
  server: S3TestServer,
  credentials: { readonly accessKeyId: string; readonly secretAccessKey: string } = server.credentials,
) {
  return new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials });
}

/**
 * Uploads every file of `dir` under `s3://bucket/prefix/` (bucket created if missing); `changes`
 * replaces a file's bytes, or leaves it out when null; `extra` adds objects of its own.
 */
export async function uploadDir(
  server: S3TestServer,
  bucket: string,
  prefix: string,
  dir: string,
  changes: Readonly<Record<string, Buffer | null>> = {},
  extra: Readonly<Record<string, Buffer>> = {},
): Promise<void> {
  const client = s3ClientFor(server);
  try {
    const exists = await client.send(new HeadBucketCommand({ Bucket: bucket })).then(
      () => true,
      () => false,
    );
    if (!exists) await client.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const file of await readdir(dir)) {
      const body = file in changes ? changes[file] : await readFile(join(dir, file));
      if (body === null || body === undefined) continue;
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${file}`, Body: body }));
    }
    for (const [file, body] of Object.entries(extra))
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${file}`, Body: body }));
  } finally {
    client.destroy();
  }
}
