import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fromMysqlShellDump, type MysqlShellDumpOptions } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCuttingProxy } from '../support/cutting-proxy.ts';
import { runCli } from '../support/run-cli.ts';
import { type S3TestServer, startS3Server, uploadDir } from '../support/s3-server.ts';
import { REAL, tablesOf, workspace } from './sources-helpers.ts';

const DIR = `${REAL}mysqlsh-dump-8.0.21-dumpInstance`;
const BUCKET = 'operator-backups';
const PREFIX = 'mysql/backup-20211207';

/** Every table of the dump that has data, grouped by schema (read from the JSON files, not by rowback). */
async function tablesBySchema(): Promise<Map<string, string[]>> {
  const started = JSON.parse(await readFile(join(DIR, '@.json'), 'utf8'));
  const done = JSON.parse(await readFile(join(DIR, '@.done.json'), 'utf8'));
  const out = new Map<string, string[]>();
  for (const schema of started.schemas as string[]) {
    const meta = JSON.parse(await readFile(join(DIR, `${schema}.json`), 'utf8'));
    const tables = (meta.tables as string[]).filter((t) => done.tableDataBytes[schema][t]);
    if (tables.length) out.set(schema, tables);
  }
  return out;
}

describe('fromMysqlShellDump from S3 (s3rver on loopback) on the real MySQL Shell 8.0.21 dumpInstance', () => {
  let s3: S3TestServer;
  let s3Options: NonNullable<MysqlShellDumpOptions['s3']>;
  const url = `s3://${BUCKET}/${PREFIX}`;

  beforeAll(async () => {
    s3 = await startS3Server();
    s3Options = {
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: s3.credentials,
    };
    await uploadDir(s3, BUCKET, PREFIX, DIR);
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('lands every table with data exactly as the directory read does, also in small ranged parts', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const bySchema = await tablesBySchema();
      let compared = 0;
      for (const [schema, tables] of bySchema) {
        const name = (prefix: string) => (table: string) => `${prefix}_${schema}__${table}`.slice(0, 64);
        const fromDir = await fromMysqlShellDump(DIR, { tables, schema }).extract({
          ...ws.context,
          tableName: name('d'),
        });
        // 1 KiB parts, 3 in flight: the larger chunks (world@City is ~40 KB) take many ranged GETs.
        const fromS3 = await fromMysqlShellDump(url, {
          tables,
          schema,
          s3: { ...s3Options, partSize: 1024, concurrency: 3 },
        }).extract({ ...ws.context, tableName: name('s') });
        expect(fromS3.tables.map((t) => [t.sourceTable, t.rows, t.checksum])).toEqual(
          fromDir.tables.map((t) => [t.sourceTable, t.rows, t.checksum]),
        );
        const { dir: _dir, ...dirProvenance } = fromDir.provenance;
        const { url: s3Url, endpoint, fetched: _fetched, ...s3Provenance } = fromS3.provenance;
        expect(s3Provenance).toEqual(dirProvenance);
        expect({ s3Url, endpoint }).toEqual({ s3Url: url, endpoint: s3.endpoint });
        compared += tables.length;
      }
      expect(compared).toBeGreaterThan(30);
    } finally {
      await ws.drop();
    }
  });

  it('fetches only the metadata and the requested table’s files, each once; a chunk by ranged GETs', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      await s3.sync();
      s3.resetRequests();
      const result = await fromMysqlShellDump(url, {
        tables: ['City'],
        schema: 'world',
        s3: { ...s3Options, partSize: 4096, concurrency: 4 },
      }).extract(ws.context);
      await s3.sync();
      expect(result.tables[0]!.rows).toBe(4079);
      const gets = s3.requests().filter((r) => r.method === 'GET' && !r.path.includes('list-type=2'));
      const lists = s3.requests().filter((r) => r.path.includes('list-type=2'));
      const key = (path: string) =>
        decodeURIComponent(path.split('?')[0]!.slice(`/${BUCKET}/${PREFIX}/`.length));
      const wanted = [
        '@.done.json',
        '@.json',
        'world.json',
        'world@City.json',
        'world@City.sql',
        'world@City@@0.tsv.zst',
      ];
      expect(lists.length).toBe(1);
      expect(gets.every((r) => r.status === 200 || r.status === 206)).toBe(true);
      expect([...new Set(gets.map((r) => key(r.path)))].sort()).toEqual(wanted.sort());
      const sizeOf = async (file: string) => (await stat(join(DIR, file))).size;
      const chunk = await sizeOf('world@City@@0.tsv.zst');
      const chunkGets = gets.filter((r) => key(r.path) === 'world@City@@0.tsv.zst');
      expect(chunkGets.length).toBe(Math.ceil(chunk / 4096));
      expect(chunkGets.every((r) => r.status === 206 && r.range !== null)).toBe(true);
      // Each wanted file was fetched once, whole: the body bytes add up to exactly their sizes.
      let wantedBytes = 0;
      for (const file of wanted) wantedBytes += await sizeOf(file);
      const fetched = gets.reduce((sum, r) => sum + r.bytes, 0);
      expect(fetched).toBe(wantedBytes);
      let dumpBytes = 0;
      for (const file of await readdir(DIR)) dumpBytes += await sizeOf(file);
      expect(result.provenance.fetched).toEqual({ requests: gets.length + lists.length, bytes: fetched });
      console.log(
        `S3 extract of world.City: ${gets.length} GETs + ${lists.length} listing, ${fetched} of ${dumpBytes} dump bytes fetched (chunk ${chunk} bytes in ${chunkGets.length} ranged GETs)`,
      );
    } finally {
      await ws.drop();
    }
  });

  it('refuses a wrong key or secret, a missing bucket, an incomplete dump and a cut chunk with SourceError, landing nothing', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const city = await readFile(join(DIR, 'world@City@@0.tsv.zst'));
      await uploadDir(s3, BUCKET, 'incomplete', DIR, { '@.done.json': null });
      await uploadDir(s3, BUCKET, 'cut', DIR, { 'world@City@@0.tsv.zst': city.subarray(0, 20000) });
      const attempt = (location: string, s3: MysqlShellDumpOptions['s3']) =>
        fromMysqlShellDump(location, { tables: ['City'], s3: s3! })
          .extract(ws.context)
          .then(
            () => null,
            (error: { name: string; message: string; facts: Record<string, unknown> }) => ({
              name: error.name,
              kind: error.facts.kind,
              message: error.message,
            }),
          );
      const wrongKey = await attempt(url, {
        ...s3Options,
        credentials: { accessKeyId: 'NOT-A-KEY', secretAccessKey: 'nope' },
      });
      expect(wrongKey).toMatchObject({ name: 'SourceError', kind: 'access' });
      expect(wrongKey!.message).toMatch(/refused access \(InvalidAccessKeyId, HTTP 403\).*credentials/);
      expect(wrongKey!.message).not.toMatch(/nope/);
      const wrongSecret = await attempt(url, {
        ...s3Options,
        credentials: { accessKeyId: s3.credentials.accessKeyId, secretAccessKey: 'not-the-secret' },
      });
      expect(wrongSecret).toMatchObject({ name: 'SourceError', kind: 'access' });
      expect(wrongSecret!.message).toMatch(/refused access \(SignatureDoesNotMatch, HTTP 403\)/);
      expect(wrongSecret!.message).not.toMatch(/not-the-secret/);
      expect(await attempt(`s3://no-such-bucket-here/${PREFIX}`, s3Options)).toMatchObject({
        name: 'SourceError',
        kind: 'missing-bucket',
        message: expect.stringMatching(/bucket no-such-bucket-here does not exist/),
      });
      expect(await attempt(`s3://${BUCKET}/incomplete`, s3Options)).toMatchObject({
        name: 'SourceError',
        kind: 'incomplete',
        message: expect.stringMatching(/incomplete \(no @\.done\.json/),
      });
      expect(await attempt(`s3://${BUCKET}/cut`, s3Options)).toMatchObject({
        name: 'SourceError',
        kind: 'truncated',
        message: expect.stringMatching(/cut\/world@City@@0\.tsv\.zst.*(truncated|cut off)/),
      });
      expect(await attempt(`s3://${BUCKET}/no-dump-here`, s3Options)).toMatchObject({
        name: 'SourceError',
        message: expect.stringMatching(/no-dump-here\/@\.json: cannot read it/),
      });
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
    } finally {
      await ws.drop();
    }
  });

  it('rowback extract --from s3://… takes its credentials from the standard chain (AWS_* env)', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const args = ['extract', '--from', url, '--tables', 'Country,CountryLanguage', '--into', ws.schema];
      const flags = ['--s3-endpoint', s3.endpoint, '--s3-region', 'us-east-1', '--s3-path-style', '--json'];
      const env = {
        ROWBACK_DATABASE_URL: inject('mysqlUrl'),
        AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      };
      const ok = await runCli([...args, ...flags], { env });
      expect(ok.code, ok.stderr).toBe(0);
      const out = JSON.parse(ok.stdout) as { tables: { sourceTable: string; rows: number }[] };
      expect(out.tables.map((t) => [t.sourceTable, t.rows])).toEqual([
        ['Country', 239],
        ['CountryLanguage', 984],
      ]);
      const refused = await runCli([...args, ...flags], {
        env: { ...env, AWS_ACCESS_KEY_ID: 'NOT-A-KEY', AWS_SECRET_ACCESS_KEY: 'secret-never-printed' },
      });
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/refused access \(InvalidAccessKeyId/);
      expect(refused.stdout + refused.stderr).not.toMatch(/secret-never-printed/);
    } finally {
      await ws.drop();
    }
  });

  it('a ranged GET whose body breaks off is fetched again; one that keeps breaking is a truncated SourceError', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    let broken = 0;
    // Every third ranged GET of the City chunk breaks off halfway (so some parts are cut on their
    // first try and fetched again); the second proxy breaks every one.
    const flaky = await startCuttingProxy(s3.endpoint, (req) => {
      if (!req.url?.includes('world%40City%40%400.tsv.zst') || !req.headers.range) return false;
      return broken++ % 3 === 0;
    });
    const dead = await startCuttingProxy(s3.endpoint, (req) =>
      Boolean(req.url?.includes('world%40City%40%400.tsv.zst') && req.headers.range),
    );
    try {
      const options = { tables: ['City'], schema: 'world' } as const;
      const direct = await fromMysqlShellDump(url, { ...options, s3: s3Options }).extract({
        ...ws.context,
        tableName: () => 'city_direct',
      });
      const retried = await fromMysqlShellDump(url, {
        ...options,
        s3: { ...s3Options, endpoint: flaky.endpoint, partSize: 8192, concurrency: 2 },
      }).extract({ ...ws.context, tableName: () => 'city_retried' });
      expect(flaky.cuts()).toBeGreaterThanOrEqual(3);
      expect([retried.tables[0]!.rows, retried.tables[0]!.checksum]).toEqual([
        direct.tables[0]!.rows,
        direct.tables[0]!.checksum,
      ]);
      const failed = await fromMysqlShellDump(url, {
        ...options,
        s3: { ...s3Options, endpoint: dead.endpoint, partSize: 8192, maxAttempts: 2 },
      })
        .extract({ ...ws.context, tableName: () => 'city_dead' })
        .then(
          () => null,
          (error: { name: string; message: string; facts: Record<string, unknown> }) => error,
        );
      expect(failed).toMatchObject({ name: 'SourceError', facts: { kind: 'truncated' } });
      expect(failed!.message).toMatch(/bytes 0-8191 of 68686 could not be read whole in 2 tries/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual(['city_direct', 'city_retried']);
    } finally {
      await flaky.stop();
      await dead.stop();
      await ws.drop();
    }
  });

  it('reads a listing of more than one page (ListObjectsV2 continuation)', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      // 1,000 other objects beside the dump's 302 files: s3rver (like S3) lists 1,000 keys a page.
      const fillers: Record<string, Buffer> = {};
      for (let i = 0; i < 1000; i++)
        fillers[`aaa-other-object-${String(i).padStart(4, '0')}`] = Buffer.from('x');
      await uploadDir(s3, BUCKET, 'paged', DIR, {}, fillers);
      await s3.sync();
      s3.resetRequests();
      const result = await fromMysqlShellDump(`s3://${BUCKET}/paged`, {
        tables: ['City'],
        s3: s3Options,
      }).extract(ws.context);
      await s3.sync();
      expect(result.tables[0]!.rows).toBe(4079);
      expect(s3.requests().filter((r) => r.path.includes('list-type=2')).length).toBe(2);
    } finally {
      await ws.drop();
    }
  });
});
