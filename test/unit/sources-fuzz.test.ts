import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors/index.ts';
import { openByteInput } from '../../src/sources/byte-input.ts';
import { DumpSelection } from '../../src/sources/dump-selection.ts';
import { MysqldumpTokenizer } from '../../src/sources/mysqldump-tokenizer.ts';
import type { WorkspaceServer } from '../../src/sources/workspace-ddl.ts';
import { prng } from '../support/prng.ts';

const REAL = new URL('../../fixtures/real/', import.meta.url).pathname;
const SERVER: WorkspaceServer = {
  flavour: 'mariadb',
  version: '10.11.9',
  requirePrimaryKey: false,
  collations: new Set(),
};
/** Scale with ROWBACK_FUZZ_CASES (default 600 cuts + 600 flips, about 20 s). */
const CASES = Number(process.env.ROWBACK_FUZZ_CASES ?? 600);
const TIMEOUT = { timeout: 600_000 };
const FIXTURES = [
  'mysqldump-mariadb-10.11-default.sql',
  'mysqldump-mariadb-10.11-skip-extended-insert.sql',
  'mysqldump-mariadb-10.11-complete-insert.sql',
  'mysqldump-mariadb-10.11-hex-blob.sql',
  'mysqldump-mariadb-10.11-databases.sql',
  'mysqldump-mariadb-10.11-single-transaction-routines-triggers.sql',
  'mysqldump-mariadb-10.11-tables-users-usermeta.sql',
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-cluster_1member.sql',
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-1.0.1-snapshot.sql',
];
const WANTED: Record<string, string[]> = {
  'mysqldump-mariadb-10.11-tables-users-usermeta.sql': ['wp_users', 'wp_usermeta'],
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-cluster_1member.sql': ['clusters', 'instances'],
  'mysqldump-mysql8.0.17-innodb-cluster-metadata-1.0.1-snapshot.sql': ['clusters', 'hosts'],
};

/** Parses like fromMysqldump does, without a server: rows per selected table, or the error. */
function parse(bytes: Buffer, tables: string[], rand: () => number): Record<string, number> {
  const selection = new DumpSelection({ tables }, SERVER);
  const tokenizer = new MysqldumpTokenizer(selection);
  const counts: Record<string, number> = {};
  let current = '';
  const drain = () => {
    for (const event of selection.events.splice(0)) {
      if (event.kind === 'insert') current = event.key.split('\0')[1]!;
      if (event.kind === 'rows') counts[current] = (counts[current] ?? 0) + event.count;
    }
  };
  let at = 0;
  while (at < bytes.length) {
    const size = 1 + Math.floor(rand() * 70000);
    tokenizer.write(bytes.subarray(at, at + size));
    drain();
    at += size;
  }
  tokenizer.end();
  drain();
  // fromMysqldump refuses a dump that lacks a selected table (see mysqldump-source.ts).
  const created = new Set([...selection.created.values()].map((t) => t.table));
  const missing = tables.filter((t) => !created.has(t));
  if (missing.length) throw new SourceError(`not in the dump: ${missing.join(', ')}`);
  return counts;
}

function outcome(
  run: () => Record<string, number>,
): { kind: 'ok'; counts: Record<string, number> } | { kind: 'source-error' } {
  try {
    return { kind: 'ok', counts: run() };
  } catch (error) {
    if ((error as Error).name === 'SourceError') return { kind: 'source-error' };
    throw error;
  }
}

describe('truncation and corruption fuzz over the real dumps', () => {
  const rand = prng(Number(process.env.ROWBACK_FUZZ_SEED ?? 4242));
  const files = FIXTURES.map((name) => ({
    name,
    bytes: readFileSync(`${REAL}${name}`),
    tables: WANTED[name] ?? ['wp_users', 'wp_usermeta', 'wp_login_audit', 'wp_posts'],
  }));
  const baseline = new Map(files.map((f) => [f.name, parse(f.bytes, f.tables, rand)]));

  it('parses every fixture whole', () => {
    expect(baseline.get('mysqldump-mariadb-10.11-default.sql')).toEqual({
      wp_users: 50,
      wp_usermeta: 790,
      wp_login_audit: 22,
      wp_posts: 28,
    });
  });

  it(`${CASES} cuts: every one is a SourceError`, TIMEOUT, () => {
    const survivors: string[] = [];
    for (let k = 0; k < CASES; k++) {
      const file = files[k % files.length]!;
      const cut = Math.floor(rand() * file.bytes.length);
      const result = outcome(() => parse(file.bytes.subarray(0, cut), file.tables, rand));
      if (result.kind === 'ok') survivors.push(`${file.name}@${cut}`);
    }
    expect(survivors).toEqual([]);
  });

  it(`${CASES} byte flips: a SourceError or the same rows, never a crash or rows lost`, TIMEOUT, () => {
    let errors = 0;
    const lost: string[] = [];
    for (let k = 0; k < CASES; k++) {
      const file = files[k % files.length]!;
      const bytes = Buffer.from(file.bytes);
      const at = Math.floor(rand() * bytes.length);
      bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255));
      const result = outcome(() => parse(bytes, file.tables, rand));
      if (result.kind === 'source-error') errors++;
      else if (JSON.stringify(result.counts) !== JSON.stringify(baseline.get(file.name))) {
        lost.push(`${file.name}@${at}: ${JSON.stringify(result.counts)}`);
      }
    }
    expect(lost).toEqual([]);
    expect(errors).toBeGreaterThan(CASES / 20);
  });

  it('cut and corrupted gzip input is a SourceError from the decompressor', TIMEOUT, async () => {
    const gz = readFileSync(`${REAL}mysqldump-mariadb-10.11-default.sql.gz`);
    const cases = Math.max(50, CASES / 10);
    for (let k = 0; k < cases; k++) {
      const bytes = Buffer.from(gz);
      const cut = k % 2 === 0 ? 10 + Math.floor(rand() * (gz.length - 10)) : gz.length;
      if (k % 2 === 1) {
        // Past the header: its FNAME field (the original file name) is not covered by any checksum.
        const body = gz.indexOf(0, 10) + 1;
        const at = body + Math.floor(rand() * (gz.length - body));
        bytes[at] = bytes[at]! ^ (1 + Math.floor(rand() * 255));
      }
      const input = await openByteInput(Readable.from([bytes.subarray(0, cut)]));
      const run = async () => {
        const selection = new DumpSelection({ tables: ['wp_users'] }, SERVER);
        const tokenizer = new MysqldumpTokenizer(selection);
        for await (const chunk of input.chunks()) {
          tokenizer.write(chunk);
          selection.events.splice(0);
        }
        tokenizer.end();
      };
      await expect(run(), `case ${k}`).rejects.toMatchObject({ name: 'SourceError' });
    }
  });

  it('reads gzip whatever the file is called, and plain text too', async () => {
    const plain = readFileSync(`${REAL}mysqldump-mariadb-10.11-tables-users-usermeta.sql`);
    for (const bytes of [plain, gzipSync(plain)]) {
      const input = await openByteInput(Readable.from([bytes]));
      const chunks: Buffer[] = [];
      for await (const chunk of input.chunks()) chunks.push(chunk);
      expect(Buffer.concat(chunks).equals(plain)).toBe(true);
    }
  });
});
