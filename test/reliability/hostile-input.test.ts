import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as rowback from 'rowback';
import {
  type ExtractContext,
  fromMysqldump,
  isErrorNamed,
  quoteId,
  type Source,
  sql,
  type Target,
} from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { prng } from '../support/prng.ts';
import { REPO_ROOT } from '../support/run-cli.ts';
import { SCALE } from './harness.ts';

/**
 * Issue 7, case 4 (files): ≥ 1,000 truncated, bit-flipped and mis-typed dump files and shell-dump
 * directories. Every case must end in a typed SourceError or in a success whose tables are exactly
 * the intact input's (a flip in a comment changes nothing); never another error, a crash, a hang or a
 * partial-looking success. Live (a sandbox schema next to the workspace) must stay byte-identical.
 */
const DUMP = join(REPO_ROOT, 'fixtures/real/mysqldump-mariadb-10.11-tables-users-usermeta.sql');
const SHELL = join(REPO_ROOT, 'fixtures/incidents/wpca-small/backup-mysqlsh');
const TABLES = ['wp_users', 'wp_usermeta'];
/** Bound per case: a case that takes longer counts as a hang. */
const CASE_TIMEOUT_MS = 20_000;
const hasZstd = (() => {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const fromMysqlShellDump = (rowback as Partial<typeof rowback>).fromMysqlShellDump;
/** Dump cases load the default way (LOAD DATA LOCAL where the server allows it). */
const dump = (file: string) => fromMysqldump(file, { tables: TABLES });

let box: Sandbox;
let target: Target;
let workspace: string;
let tmp: string;
let liveBefore: string;
let seq = 0;

type Outcome = 'source-error' | 'identical' | 'changed-data' | 'partial' | 'wrong-error' | 'hang';

interface Case {
  readonly label: string;
  readonly source: () => Source;
  /** A complete input whose bytes changed may load changed data (no checksum in the format). */
  readonly mayChangeData: boolean;
  /** The mutated file or directory, kept under .rowback-tmp/fuzz-failures/ when the case fails. */
  readonly input?: string;
}

const reference = new Map<string, Map<string, string>>();

async function liveChecksum(): Promise<string> {
  const tables = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${box.schema} ORDER BY TABLE_NAME`.execute(
    target.db,
  );
  const sums: string[] = [];
  for (const t of tables.rows) sums.push(`${t.name}:${await box.checksum(t.name)}`);
  return sums.join(',');
}

function context(prefix: string, on: Target = target): ExtractContext {
  return { target: on, workspace, tableName: (table) => `${prefix}_${table}`.slice(0, 64) };
}

/** Runs one case with a time bound and classifies what happened. */
async function runCase(c: Case, refKey: string, on: Target): Promise<{ outcome: Outcome; detail: string }> {
  const prefix = `c${++seq}`;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), CASE_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([c.source().extract(context(prefix, on)), timeout]);
    if (result === 'hang')
      return { outcome: 'hang', detail: `${c.label}: no answer in ${CASE_TIMEOUT_MS} ms` };
    const ref = reference.get(refKey);
    const same = result.tables.every((t) => ref?.get(t.sourceTable) === t.checksum);
    for (const t of result.tables)
      await sql.raw(`DROP TABLE IF EXISTS ${t.table.qualified}`).execute(target.db);
    if (same && result.tables.length === ref?.size) return { outcome: 'identical', detail: c.label };
    return c.mayChangeData
      ? { outcome: 'changed-data', detail: c.label }
      : {
          outcome: 'partial',
          detail: `${c.label}: extract succeeded with other tables/rows than the intact input`,
        };
  } catch (error) {
    if (isErrorNamed(error, 'SourceError')) return { outcome: 'source-error', detail: c.label };
    return {
      outcome: 'wrong-error',
      detail: `${c.label}: ${(error as Error)?.name}: ${(error as Error)?.message?.slice(0, 300)}`,
    };
  } finally {
    clearTimeout(timer);
  }
}

const FAILURES = join(REPO_ROOT, '.rowback-tmp', 'fuzz-failures');

/** Keeps a failing input for replay (the temp folder is removed after the run). */
async function keep(c: Case): Promise<string> {
  if (!c.input) return '';
  const to = join(FAILURES, `${Date.now()}-${c.input.split('/').at(-1)}`);
  await mkdir(FAILURES, { recursive: true });
  await cp(c.input, to, { recursive: true, dereference: true });
  return ` (kept: ${to})`;
}

async function runAll(cases: readonly Case[], refKey: string): Promise<Map<Outcome, string[]>> {
  const outcomes = new Map<Outcome, string[]>();
  // Three at a time, each on its own connection pool like a run has. Tables never collide.
  let next = 0;
  const worker = async () => {
    await using on = await target.reconnect();
    while (next < cases.length) {
      const c = cases[next++]!;
      const { outcome, detail: text } = await runCase(c, refKey, on);
      const detail = ['hang', 'wrong-error', 'partial'].includes(outcome) ? `${text}${await keep(c)}` : text;
      outcomes.set(outcome, [...(outcomes.get(outcome) ?? []), detail]);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return outcomes;
}

function summary(outcomes: Map<Outcome, string[]>): Record<string, number> {
  return Object.fromEntries([...outcomes].map(([k, v]) => [k, v.length]));
}

/** Byte offsets of every complete INSERT into each selected table's end (a cut after them loses nothing). */
function lastDataByte(text: Buffer): number {
  const s = text.toString('latin1');
  let last = 0;
  for (const t of TABLES) {
    const at = s.lastIndexOf(`INSERT INTO \`${t}\``);
    if (at >= 0) last = Math.max(last, s.indexOf(';\n', at) + 1);
  }
  return last;
}

beforeAll(async () => {
  box = await createSandbox(
    { url: inject('mysqlUrl') },
    { fixtures: [join(REPO_ROOT, 'fixtures/wordpress/schema.sql')], prefix: 'rbfuzz' },
  );
  target = box.target;
  await box.load({
    sql: "INSERT INTO wp_users (ID, user_login, user_email) VALUES (1, 'live', 'live@example.org')",
  });
  workspace = box.schemaName('ws');
  await sql.raw(`CREATE DATABASE ${quoteId(workspace)} DEFAULT CHARACTER SET utf8mb4`).execute(target.db);
  tmp = await mkdtemp(join(tmpdir(), 'rowback-fuzz-'));
  liveBefore = await liveChecksum();
  console.log(`hostile-input: seed ${SCALE.seed}, ${SCALE.fuzz} cases`);
}, 180_000);

afterAll(async () => {
  await box?.drop();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

async function referenceOf(key: string, source: Source): Promise<void> {
  const result = await source.extract(context(`ref_${key}`));
  reference.set(key, new Map(result.tables.map((t) => [t.sourceTable, t.checksum])));
  for (const t of result.tables) await sql.raw(`DROP TABLE ${t.table.qualified}`).execute(target.db);
}

describe('hostile backup files', () => {
  it('mysqldump: truncated, bit-flipped, mis-typed, gzip and zstd cut or flipped → SourceError, never partial', async () => {
    const rand = prng(SCALE.seed);
    const intact = await readFile(DUMP);
    await referenceOf('dump', dump(DUMP));
    const complete = lastDataByte(intact);
    const write = async (name: string, bytes: Buffer) => {
      const file = join(tmp, name);
      await writeFile(file, bytes);
      return file;
    };
    const cases: Case[] = [];
    // Share of the cases for the shell-dump test below; the rest are dump files.
    const total = Math.max(0, SCALE.fuzz - Math.floor(SCALE.fuzz * 0.2));
    const plainCuts = Math.floor(total * 0.4);
    const gzCases = Math.floor(total * 0.15);
    const zstdCases = hasZstd ? Math.floor(total * 0.15) : 0;
    const plainFlips = total - plainCuts - gzCases - zstdCases;
    for (let i = 0; i < plainCuts; i++) {
      // Cuts before the end of the last row: a cut after it loses no data, and success is right there.
      const at = Math.floor(rand() * complete);
      const file = await write(`cut-${i}.sql`, intact.subarray(0, at));
      cases.push({
        label: `plain cut at ${at}`,
        source: () => dump(file),
        mayChangeData: false,
        input: file,
      });
    }
    for (let i = 0; i < plainFlips; i++) {
      const bytes = Buffer.from(intact);
      const flips = 1 + Math.floor(rand() * 3);
      const where: number[] = [];
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(rand() * bytes.length);
        bytes[at]! ^= 1 << Math.floor(rand() * 8);
        where.push(at);
      }
      const file = await write(`flip-${i}.sql`, bytes);
      cases.push({
        label: `plain flip at ${where}`,
        source: () => dump(file),
        mayChangeData: true,
        input: file,
      });
    }
    const gz = gzipSync(intact);
    for (let i = 0; i < gzCases; i++) {
      const bytes = i % 2 === 0 ? gz.subarray(0, Math.floor(rand() * gz.length)) : Buffer.from(gz);
      let label = `gzip cut at ${bytes.length}`;
      if (i % 2 === 1) {
        const at = 10 + Math.floor(rand() * (gz.length - 10));
        bytes[at]! ^= 1 << Math.floor(rand() * 8);
        label = `gzip flip at ${at}`;
      }
      const file = await write(`gz-${i}.bin`, bytes);
      // gzip carries CRC32 and length: a changed stream must be refused, never loaded.
      cases.push({
        label,
        source: () => dump(file),
        mayChangeData: false,
        input: file,
      });
    }
    if (hasZstd) {
      const zst = execFileSync('zstd', ['-q', '-c', '--check'], { input: intact });
      for (let i = 0; i < zstdCases; i++) {
        const bytes = i % 2 === 0 ? zst.subarray(0, Math.floor(rand() * zst.length)) : Buffer.from(zst);
        let label = `zstd frame cut at ${bytes.length}`;
        if (i % 2 === 1) {
          const at = 6 + Math.floor(rand() * (zst.length - 6));
          bytes[at]! ^= 1 << Math.floor(rand() * 8);
          label = `zstd flip at ${at}`;
        }
        const file = await write(`zst-${i}.bin`, bytes);
        cases.push({
          label,
          source: () => dump(file),
          mayChangeData: false,
          input: file,
        });
      }
    }
    // Mis-typed inputs: not a dump at all.
    const misTyped: [string, Buffer | null][] = [
      ['empty file', Buffer.alloc(0)],
      ['random bytes', randomBytes(4096)],
      ['a PNG header', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex')],
      ['JSON', Buffer.from(JSON.stringify({ tables: TABLES }))],
      ['a shell-dump table chunk', await readFile(join(SHELL, '@.json'))],
      ['gzip of random bytes', gzipSync(randomBytes(2048))],
      ['gzip magic only', Buffer.from([0x1f, 0x8b])],
      ['zstd magic only', Buffer.from([0x28, 0xb5, 0x2f, 0xfd])],
      ['NUL bytes', Buffer.alloc(1 << 16)],
      ['only comments', Buffer.from('-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\n')],
      [
        'an unterminated string',
        Buffer.from("CREATE TABLE `wp_users` (`ID` int PRIMARY KEY);\nINSERT INTO `wp_users` VALUES (1),('x"),
      ],
      ['an unterminated comment', Buffer.from('/* never closed')],
      [
        'a row with the wrong column count',
        Buffer.from(
          'CREATE TABLE `wp_users` (`ID` int PRIMARY KEY);\nINSERT INTO `wp_users` VALUES (1,2,3);\nCREATE TABLE `wp_usermeta` (`umeta_id` int PRIMARY KEY);\n',
        ),
      ],
      [
        'a value of the wrong type in strict mode',
        Buffer.from(
          "CREATE TABLE `wp_users` (`ID` int PRIMARY KEY);\nINSERT INTO `wp_users` VALUES ('not a number');\nCREATE TABLE `wp_usermeta` (`umeta_id` int PRIMARY KEY);\n",
        ),
      ],
      [
        'a duplicate primary key',
        Buffer.from(
          'CREATE TABLE `wp_users` (`ID` int PRIMARY KEY);\nINSERT INTO `wp_users` VALUES (1),(1);\nCREATE TABLE `wp_usermeta` (`umeta_id` int PRIMARY KEY);\n',
        ),
      ],
      [
        'DDL the server rejects',
        Buffer.from(
          'CREATE TABLE `wp_users` (`ID` nosuchtype PRIMARY KEY);\nCREATE TABLE `wp_usermeta` (`umeta_id` int PRIMARY KEY);\n',
        ),
      ],
      [
        'a DELIMITER block never closed',
        Buffer.from('DELIMITER ;;\nCREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW BEGIN END'),
      ],
      ['a directory', null],
    ];
    for (const [label, bytes] of misTyped) {
      const file = bytes === null ? SHELL : await write(`mistyped-${cases.length}`, bytes);
      cases.push({
        label,
        source: () => dump(file),
        mayChangeData: false,
        input: file,
      });
    }
    cases.push({
      label: 'a missing file',
      source: () => dump(join(tmp, 'does-not-exist.sql')),
      mayChangeData: false,
    });
    const started = Date.now();
    const outcomes = await runAll(cases, 'dump');
    console.log(`mysqldump fuzz: ${cases.length} cases in ${Date.now() - started} ms`, summary(outcomes));
    expect(outcomes.get('wrong-error') ?? [], 'errors that are not SourceError').toEqual([]);
    expect(outcomes.get('hang') ?? [], 'cases without an answer').toEqual([]);
    expect(outcomes.get('partial') ?? [], 'partial-looking successes').toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(Math.floor(SCALE.fuzz * 0.8));
    expect(await liveChecksum()).toBe(liveBefore);
  }, 900_000);

  // Was KD-2: a load failing in two tables could leave LOAD DATA unsettled and the extract hanging.
  it('a dump whose loads fail in two tables answers with SourceError in bounded time, every time', async () => {
    const bytes = Buffer.from(await readFile(DUMP));
    // Two flips the fuzz found: a wp_users date ("1265 Data truncated for column 'user_registered'")
    // and a wp_usermeta key with a byte that is not UTF-8 ("1366 Incorrect string value").
    bytes[6526] = 0o70;
    bytes[31691] = 0o363;
    const file = join(tmp, 'two-failing-loads.sql');
    await writeFile(file, bytes);
    const cases = Array.from(
      { length: 12 },
      (_, i): Case => ({
        label: `attempt ${i + 1}`,
        source: () => fromMysqldump(file, { tables: TABLES, method: 'load-data' }),
        mayChangeData: false,
        input: file,
      }),
    );
    const outcomes = await runAll(cases, 'dump');
    expect(summary(outcomes)).toEqual({ 'source-error': 12 });
  }, 300_000);

  it.skipIf(!fromMysqlShellDump || !hasZstd)(
    'MySQL Shell dump dirs: no @.done.json, wrong .idx, a chunk of another table, cut zstd frames, bad JSON → SourceError',
    async () => {
      const rand = prng(SCALE.seed + 1);
      const files = (await readdir(SHELL)).sort();
      const shell = (dir: string) => () => fromMysqlShellDump!(dir, { tables: TABLES });
      await referenceOf('shell', shell(SHELL)());
      /** A copy of the dump dir as symlinks, with some files replaced or removed. */
      const variant = async (changes: Record<string, Buffer | null>): Promise<string> => {
        const dir = join(tmp, `shell-${seq}-${randomBytes(3).toString('hex')}`);
        await mkdir(dir);
        for (const f of files) {
          if (f in changes) {
            const bytes = changes[f];
            if (bytes) await writeFile(join(dir, f), bytes);
          } else await symlink(join(SHELL, f), join(dir, f));
        }
        return dir;
      };
      const chunksOf = (table: string) =>
        files.filter((f) => f.includes(`@${table}`) && /\.tsv\.zst$/.test(f));
      const userChunks = chunksOf('wp_users');
      const metaChunks = chunksOf('wp_usermeta');
      const jsonFiles = files.filter((f) => /@wp_user(s|meta)\.json$|^@\.json$|^@\.done\.json$/.test(f));
      const cases: Case[] = [];
      const fixed: [string, Record<string, Buffer | null>][] = [
        ['no @.done.json', { '@.done.json': null }],
        ['no @.json', { '@.json': null }],
        ['no DDL file for wp_users', { [files.find((f) => /@wp_users\.sql$/.test(f))!]: null }],
        ['no table JSON for wp_usermeta', { [files.find((f) => /@wp_usermeta\.json$/.test(f))!]: null }],
        [
          'a wp_users chunk replaced by a wp_usermeta chunk',
          { [userChunks[0]!]: await readFile(join(SHELL, metaChunks[0]!)) },
        ],
        ['a wp_users chunk missing', { [userChunks[0]!]: null }],
        ['an empty wp_usermeta chunk', { [metaChunks[0]!]: Buffer.alloc(0) }],
      ];
      for (const [label, changes] of fixed) {
        const dir = await variant(changes);
        cases.push({ label, source: shell(dir), mayChangeData: false, input: dir });
      }
      const budget = Math.floor(SCALE.fuzz * 0.2) - cases.length;
      for (let i = 0; i < budget; i++) {
        const kind = i % 4;
        let label: string;
        let changes: Record<string, Buffer | null>;
        if (kind === 0 || kind === 1) {
          const f = [...userChunks, ...metaChunks][
            Math.floor(rand() * (userChunks.length + metaChunks.length))
          ]!;
          const bytes = await readFile(join(SHELL, f));
          if (kind === 0) {
            const at = Math.floor(rand() * bytes.length);
            changes = { [f]: bytes.subarray(0, at) };
            label = `zstd frame ${f} cut at ${at}`;
          } else {
            const copy = Buffer.from(bytes);
            const at = Math.floor(rand() * copy.length);
            copy[at]! ^= 1 << Math.floor(rand() * 8);
            changes = { [f]: copy };
            label = `chunk ${f} flipped at ${at}`;
          }
        } else if (kind === 2) {
          const idx = [...userChunks, ...metaChunks].map((f) => `${f}.idx`).filter((f) => files.includes(f));
          const f = idx[Math.floor(rand() * idx.length)]!;
          const bytes = Buffer.from(await readFile(join(SHELL, f)));
          const at = Math.floor(rand() * bytes.length);
          bytes[at]! ^= 1 << Math.floor(rand() * 8);
          changes = { [f]: bytes };
          label = `wrong .idx ${f} (byte ${at} flipped)`;
        } else {
          const f = jsonFiles[Math.floor(rand() * jsonFiles.length)]!;
          const bytes = await readFile(join(SHELL, f));
          const at = Math.floor(rand() * bytes.length);
          changes = { [f]: bytes.subarray(0, at) };
          label = `${f} cut at ${at}`;
        }
        const dir = await variant(changes);
        // A flipped .idx or chunk byte may be detected or may land changed rows: the format only
        // checks what zstd checks. A cut JSON or zstd frame must always be refused.
        cases.push({ label, source: shell(dir), mayChangeData: kind === 1 || kind === 2, input: dir });
      }
      const started = Date.now();
      const outcomes = await runAll(cases, 'shell');
      console.log(`shell-dump fuzz: ${cases.length} cases in ${Date.now() - started} ms`, summary(outcomes));
      expect(outcomes.get('wrong-error') ?? [], 'errors that are not SourceError').toEqual([]);
      expect(outcomes.get('hang') ?? [], 'cases without an answer').toEqual([]);
      expect(outcomes.get('partial') ?? [], 'partial-looking successes').toEqual([]);
      expect(await liveChecksum()).toBe(liveBefore);
    },
    900_000,
  );
});
