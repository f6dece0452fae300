import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** PEM files made by openssl for one test run: a CA, a server pair it signed, and an unrelated CA. */
export interface TestCertificates {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** A CA that signed nothing here: verifying the server with it must fail. */
  readonly otherCa: string;
  remove(): Promise<void>;
}

/**
 * Makes certificates with the openssl CLI: RSA 2048, valid one day, the server certificate naming
 * `localhost` and `127.0.0.1` (so verify-identity passes on 127.0.0.1).
 */
export async function makeTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'rowback-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  const makeCa = async (name: string) => {
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.pem`),
    ]);
  };
  await makeCa('rowback-test-ca');
  await makeCa('rowback-other-ca');
  await writeFile(file('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  await openssl([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    file('server.key'),
    '-out',
    file('server.csr'),
  ]);
  await openssl([
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('rowback-test-ca.pem'),
    '-CAkey',
    file('rowback-test-ca.key'),
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    file('server.ext'),
    '-out',
    file('server.pem'),
  ]);
  return Object.freeze({
    dir,
    ca: file('rowback-test-ca.pem'),
    serverCert: file('server.pem'),
    serverKey: file('server.key'),
    otherCa: file('rowback-other-ca.pem'),
    remove: () => rm(dir, { recursive: true, force: true }),
  });
}
