/**
 * The S3-compatible test server, run as its own process (`node --openssl-legacy-provider`): s3rver
 * makes ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 offers only through the
 * legacy provider. Prints `{"port":N}` once listening, then one JSON line per request answered
 * (method, path, range, status, body bytes sent) so tests measure what a reader fetched at the server.
 *
 * argv: <data directory>
 */

import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer: Server;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
const server = new S3rver({ port: 0, address: '127.0.0.1', directory: process.argv[2], silent: true });
const { port } = await server.run();
server.httpServer.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
  let bytes = 0;
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => ServerResponse;
  const count = (chunk: unknown) => {
    if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk);
    else if (chunk instanceof Uint8Array) bytes += chunk.length;
  };
  res.write = ((chunk: unknown, ...rest: unknown[]) => {
    count(chunk);
    return write(chunk, ...rest);
  }) as typeof res.write;
  res.end = ((chunk?: unknown, ...rest: unknown[]) => {
    if (typeof chunk !== 'function') count(chunk);
    return end(chunk, ...rest);
  }) as typeof res.end;
  res.on('finish', () => {
    process.stdout.write(
      `${JSON.stringify({ method: req.method, path: req.url, range: req.headers.range ?? null, status: res.statusCode, bytes })}\n`,
    );
  });
});
process.stdout.write(`${JSON.stringify({ port })}\n`);
process.on('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
