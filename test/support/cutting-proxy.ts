import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP proxy that breaks off chosen responses halfway, like a network dropping. */
export interface CuttingProxy {
  readonly endpoint: string;
  /** Responses broken off so far. */
  cuts(): number;
  stop(): Promise<void>;
}

/**
 * Forwards every request to `target`; a response for which `cut(req)` says true sends its headers
 * (with the full Content-Length) and half its body, then the connection is destroyed.
 */
export async function startCuttingProxy(
  target: string,
  cut: (req: IncomingMessage) => boolean,
): Promise<CuttingProxy> {
  const upstream = new URL(target);
  let cuts = 0;
  const server = createServer((req, res) => {
    const forward = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!cut(req)) {
          answer.pipe(res);
          return;
        }
        const chunks: Buffer[] = [];
        answer.on('data', (d: Buffer) => chunks.push(d));
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          cuts++;
          res.write(body.subarray(0, body.length >> 1), () => res.destroy());
        });
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    cuts: () => cuts,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
