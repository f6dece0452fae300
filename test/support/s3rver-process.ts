/**
 * The S3-compatible test server, run as its own process (`node --openssl-legacy-provider`): s3rver
 * makes ListObjectsV2 continuation tokens with DES, which Node's OpenSSL 3 offers only through the
 * legacy provider. s3rver checks the access key but not a SigV4 signature, so this front checks it
 * (re-signing the request with the key's secret, as S3 does) and answers SignatureDoesNotMatch
 * itself. Prints `{"port":N}` once listening, then one JSON line per request answered (method, path,
 * range, status, body bytes sent) so tests measure what a reader fetched at the server.
 *
 * argv: <data directory>
 */
import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';

interface S3rverInstance {
  callback(): (req: IncomingMessage, res: ServerResponse) => void;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

/** s3rver's one account; its secret signs what the tests send. */
const SECRETS: Readonly<Record<string, string>> = { S3RVER: 'S3RVER' };

type Bytes = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: Bytes): string | Uint8Array =>
  typeof data === 'string'
    ? data
    : ArrayBuffer.isView(data)
      ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : new Uint8Array(data);

class Sha256 {
  readonly #hash;
  constructor(secret?: Bytes) {
    this.#hash = secret ? createHmac('sha256', bytesOf(secret)) : createHash('sha256');
  }
  update(data: Bytes): void {
    this.#hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
}

/** True unless the request carries a SigV4 Authorization header whose signature is wrong. */
async function signatureHolds(req: IncomingMessage): Promise<boolean> {
  const auth = req.headers.authorization ?? '';
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)$/.exec(
      auth,
    );
  if (!match) return true; // unsigned or another scheme: s3rver decides
  const [, accessKeyId, , region, signedHeaders, signature] = match as unknown as string[];
  const secretAccessKey = SECRETS[accessKeyId!];
  if (secretAccessKey === undefined) return true; // s3rver answers InvalidAccessKeyId
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders!.split(';')) headers[name] = String(req.headers[name] ?? '');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const had = query[key];
    query[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  const amzDate = headers['x-amz-date'] ?? String(req.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    service: 's3',
    region: region!,
    credentials: { accessKeyId: accessKeyId!, secretAccessKey },
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      path: url.pathname,
      query,
      headers,
    },
    { signingDate, signableHeaders: new Set(Object.keys(headers)), unsignableHeaders: new Set() },
  );
  return String(signed.headers.authorization ?? '').endsWith(`Signature=${signature}`);
}

const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
const handle = new S3rver({ directory: process.argv[2], silent: true }).callback();

const server = createServer((req, res) => {
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
  void signatureHolds(req).then((holds) => {
    if (holds) return handle(req, res);
    req.resume();
    res
      .writeHead(403, { 'content-type': 'application/xml' })
      .end(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message></Error>',
      );
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
