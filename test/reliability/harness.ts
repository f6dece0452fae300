import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrorNamed, quoteId, type RunSummary, sql, status } from 'rowback';
import { createSandbox, type MysqlServer, type Sandbox } from 'rowback/testing';
import { runClientTool } from '../support/mariadb-client.ts';
import { REPO_ROOT, runCli } from '../support/run-cli.ts';

/**
 * Scale knobs. CI runs the defaults (a few minutes on 2 cores); a soak raises them, e.g.
 * `ROWBACK_RELIABILITY_USERS=200000 ROWBACK_RELIABILITY_KILLS=200 ROWBACK_RELIABILITY_FUZZ=20000`.
 */
export const SCALE = Object.freeze({
  /** Users in the large-scope fixture; each has 2 usermeta rows, so scope rows = 3 × users. */
  users: envInt('ROWBACK_RELIABILITY_USERS', 17_000),
  /** kill -9 moments of `rowback apply` (issue 7 asks for ≥ 20). */
  kills: envInt('ROWBACK_RELIABILITY_KILLS', 20),
  /** Hostile-input cases (issue 7 asks for ≥ 1,000). */
  fuzz: envInt('ROWBACK_RELIABILITY_FUZZ', 1_000),
  /** Seed of every random choice; printed so a failure can be replayed. */
  seed: envInt('ROWBACK_RELIABILITY_SEED', Number.parseInt(randomBytes(3).toString('hex'), 16)),
});

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw ? Number.parseInt(raw, 10) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

/** `SELECT n FROM …` giving 1..count on MySQL 8 and MariaDB (no recursion-depth limits, no seq_ tables). */
export function numbers(count: number): string {
  const digits =
    '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
  const places = Math.max(1, Math.ceil(Math.log10(count + 1)));
  const parts = Array.from({ length: places }, (_, i) => `${digits} p${i}`);
  const expr = Array.from({ length: places }, (_, i) => `p${i}.d * ${10 ** i}`).join(' + ');
  return `SELECT ${expr} + 1 AS n FROM ${parts.join(' CROSS JOIN ')} HAVING n <= ${count}`;
}

export const MODULE_ID = '20261126-reliability';

/**
 * The module under fire: extract a mysqldump backup, scope every damaged user, snapshot, then one
 * transaction (or chunks) that puts back wp_users and wp_usermeta, verified inside.
 */
export function moduleSource(id: string, options: { chunk?: number; extra?: string } = {}): string {
  const chunk = options.chunk ? `, { chunk: { scope: users, size: ${options.chunk} } }` : '';
  return `import { defineRestore, fromMysqldump, sql } from 'rowback';
import { z } from 'zod';
export default defineRestore({
  id: '${id}',
  title: 'Reliability: put back every damaged user',
  params: z.object({ backup: z.string().min(1), note: z.string().default('') }),
  retention: { days: 0 },
  runbook: { context: 'Reliability suite.', decisions: ['Blanket replace.'], references: ['issue 7'] },
  async run(r, p) {
    const backup = await r.extract('backup', fromMysqldump(p.backup, { tables: ['wp_users', 'wp_usermeta'] }));
    const users = await r.scope('damaged-users',
      sql\`SELECT l.ID FROM wp_users l JOIN \${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)\`,
      { key: 'ID', keyFrom: 'wp_users', expect: { min: 1 } });
    await r.snapshot('before', ['wp_users', 'wp_usermeta'], { scope: users, on: { wp_usermeta: 'user_id' } });
    await r.transaction('restore', async (tx) => {
      await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
      await tx.replaceChildren('wp_usermeta', { from: backup.table('wp_usermeta'), parentKey: 'user_id', scope: users });
      await tx.verify('users equal backup', tx.diff('wp_users', backup.table('wp_users'), { scope: users }), { expect: 'no-diff' });
    }${chunk});
    await r.verify('no damaged user left', sql\`SELECT l.ID FROM wp_users l JOIN \${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)\`, { expect: { rows: 0 } });
    ${options.extra ?? ''}
  },
});
`;
}

/** Everything a reliability test needs around one sandbox: live data, a backup dump, the CLI's env. */
export interface Rig {
  readonly box: Sandbox;
  readonly users: number;
  readonly restoresDir: string;
  readonly dumpFile: string;
  /** Live checksums before the damage (= the fully applied state) and after it (= the pre-run state). */
  readonly pristine: string;
  readonly damaged: string;
  readonly env: Record<string, string>;
  /** `--control-schema … --workspace …` for the CLI. */
  common(): string[];
  /** Writes a module into the rig's restores folder. */
  writeModule(id: string, source: string): Promise<void>;
  /** Live back to the damaged state, ledger and workspace dropped: a fresh start. */
  reset(): Promise<void>;
  liveState(): Promise<string>;
  /** `rowback status <id> --json` runs, newest first. */
  runs(id?: string): Promise<{ runId: string; mode: string; status: string; error: string | null }[]>;
  drop(): Promise<void>;
}

/** Builds the rig: `users` users with 2 usermeta rows each, a mariadb-dump of them, then damages every user. */
export async function createRig(
  server: MysqlServer | { url: string },
  users = SCALE.users,
  options: { readonly zeroDates?: boolean } = {},
): Promise<Rig> {
  const schemaFile = join(REPO_ROOT, 'fixtures/wordpress/schema.sql');
  const box = await createSandbox(server, {
    fixtures: options.zeroDates ? [] : [schemaFile],
    prefix: 'rbrel',
  });
  // WordPress declares '0000-00-00 00:00:00' defaults and writes such dates; on a server whose global
  // sql_mode forbids them, it (like this fixture) drops NO_ZERO_DATE from its own sessions.
  const loose = "SET SESSION sql_mode = 'NO_ENGINE_SUBSTITUTION';\n";
  if (options.zeroDates) await box.load({ sql: loose + (await readFile(schemaFile, 'utf8')) });
  const tmp = join(REPO_ROOT, '.rowback-tmp', `reliability-${randomBytes(4).toString('hex')}`);
  const restoresDir = join(tmp, 'restores');
  await mkdir(restoresDir, { recursive: true });
  const n = `(${numbers(users)}) AS s`;
  await box.load({
    sql: `INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name)
          SELECT n, CONCAT('user', n), 'x', CONCAT('user', n), CONCAT('user', n, '@example.org'), '2024-01-01 00:00:00', CONCAT('User ', n) FROM ${n}`,
  });
  await box.load({
    sql: `INSERT INTO wp_usermeta (umeta_id, user_id, meta_key, meta_value)
          SELECT 2 * n - 1, n, 'nickname', CONCAT('nick', n) FROM ${n}
          UNION ALL SELECT 2 * n, n, 'description', REPEAT('d', n % 97) FROM ${n}`,
  });
  if (options.zeroDates) {
    await box.load({
      sql: `${loose}UPDATE wp_users SET user_registered = '0000-00-00 00:00:00' WHERE ID % 7 = 0`,
    });
  }
  const dumpFile = join(tmp, 'backup.sql');
  await mariadbDump(box.url, box.schema, ['wp_users', 'wp_usermeta'], dumpFile);
  const state = async () => `${await box.checksum('wp_users')}/${await box.checksum('wp_usermeta')}`;
  const pristine = await state();
  await box.load({
    sql: `${options.zeroDates ? loose : ''}UPDATE wp_users SET user_email = CONCAT('wrong', ID, '@evil.example')`,
  });
  await box.load({ sql: "UPDATE wp_usermeta SET meta_value = CONCAT('WRONG ', umeta_id)" });
  const damaged = await state();
  // A copy of the damaged live tables, to reset between cases without re-running the damage.
  const golden = box.schemaName('golden');
  await box.load({ sql: `CREATE DATABASE ${quoteId(golden)}` });
  for (const t of ['wp_users', 'wp_usermeta']) {
    const mode = options.zeroDates ? loose : '';
    await box.load({ sql: `${mode}CREATE TABLE ${quoteId(golden)}.${t} LIKE ${t}` });
    await box.load({ sql: `${mode}INSERT INTO ${quoteId(golden)}.${t} SELECT * FROM ${t}` });
  }
  const env = {
    ROWBACK_DATABASE_URL: box.url,
    ROWBACK_RESTORES_DIR: restoresDir,
    ROWBACK_PARAM_backup: dumpFile,
  };
  const common = () => ['--control-schema', box.controlSchema, '--workspace', box.workspaceSchema];
  return {
    box,
    users,
    restoresDir,
    dumpFile,
    pristine,
    damaged,
    env,
    common,
    async writeModule(id, source) {
      await mkdir(join(restoresDir, id), { recursive: true });
      await writeFile(join(restoresDir, id, 'index.ts'), source);
    },
    async reset() {
      await box.load({ sql: `DROP DATABASE IF EXISTS ${quoteId(box.controlSchema)}` });
      await box.load({ sql: `DROP DATABASE IF EXISTS ${quoteId(box.workspaceSchema)}` });
      if ((await state()) === damaged) return;
      for (const t of ['wp_usermeta', 'wp_users']) {
        await box.load({ sql: `DELETE FROM ${t}` });
        await box.load({
          sql: `${options.zeroDates ? loose : ''}INSERT INTO ${t} SELECT * FROM ${quoteId(golden)}.${t}`,
        });
      }
    },
    liveState: state,
    async runs(id = MODULE_ID) {
      const out = await runCli(['status', id, '--control-schema', box.controlSchema, '--json'], { env });
      if (out.code !== 0) throw new Error(`status failed (${out.code}): ${out.stderr}`);
      return JSON.parse(out.stdout).runs;
    },
    async drop() {
      await box.drop();
      await rm(tmp, { recursive: true, force: true });
    },
  };
}

/** `mariadb-dump` of some tables of `schema` into `file` (the real tool, so the backup is a real dump). */
export async function mariadbDump(
  url: string,
  schema: string,
  tables: readonly string[],
  file: string,
): Promise<void> {
  await runClientTool('mariadb-dump', url, [
    '--single-transaction',
    `--result-file=${file}`,
    schema,
    ...tables,
  ]);
}

/** Rows of a ledger table of the rig's control schema, as JSON text (for secret scans). */
export async function ledgerText(rig: Rig): Promise<string> {
  const out: unknown[] = [];
  for (const t of ['runs', 'steps', 'artifacts']) {
    const r = await sql<Record<string, unknown>>`SELECT * FROM ${sql.id(rig.box.controlSchema, t)}`
      .execute(rig.box.target.db)
      .catch(() => ({ rows: [] }));
    out.push(r.rows);
  }
  return JSON.stringify(out);
}

/** The step the CLI was in, from its plain progress lines on stderr (`  kind name …`). */
export function lastStepStarted(stderr: string): string {
  const starts = [...stderr.matchAll(/^ {2}(\w+) (.+) …$/gm)];
  const ends = [...stderr.matchAll(/^ {2}(done|failed|skipped|pending)\s+(\w+) (.+)$/gm)];
  const last = starts.at(-1);
  if (!last) return 'startup';
  const ended = ends.some((e) => e[3]!.startsWith(last[2]!) && (e.index ?? 0) > (last.index ?? 0));
  return ended ? `after ${last[1]} ${last[2]}` : `${last[1]} ${last[2]}`;
}

/** `status()` of one module's runs, newest first; none while no run has created the ledger yet. */
export async function ledgerRuns(rig: Rig, moduleId: string): Promise<RunSummary[]> {
  try {
    return await status(rig.box.target, { controlSchema: rig.box.controlSchema, moduleId });
  } catch (error) {
    if (isErrorNamed(error, 'UsageError') && /no rowback ledger/.test(error.message)) return [];
    throw error;
  }
}
