import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import {
  connect,
  formatConnectionUrl,
  parseConnectionUrl,
  quoteId,
  quoteQualified,
  splitSqlScript,
  type Target,
} from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import type { RestoreModule } from '../runner/define-restore.ts';
import type { RunReport } from '../runner/report.ts';
import { type ApplyOptions, apply, plan, type RunOptions } from '../runner/run-restore.ts';
import { type UndoOptions, undo } from '../runner/undo-run.ts';
import type { MysqlServer } from './mysql-server.ts';

export interface SandboxOptions {
  /** SQL files loaded into the sandbox schema, in order (statements split like the `mysql` client does). */
  readonly fixtures?: readonly string[];
  /** Name prefix of every schema the sandbox creates; a random suffix keeps parallel tests apart. */
  readonly prefix?: string;
}

export interface RowsOptions {
  readonly orderBy?: string | readonly string[];
}

/**
 * A throwaway live schema (plus any extra schemas asked for) on a test server. It drops only what it
 * created. Use `await using box = await createSandbox(server)`.
 */
export interface Sandbox extends AsyncDisposable {
  /** The live schema: fixtures are loaded here, and `target` uses it as its default schema. */
  readonly schema: string;
  /** Connection URL with `schema` as the default schema. */
  readonly url: string;
  /** An open connection to the sandbox's live schema. */
  readonly target: Target;
  /** The sandbox's own ledger schema and workspace schema, used by `plan`/`apply`/`undo`. */
  readonly controlSchema: string;
  readonly workspaceSchema: string;
  /** `plan()` against the sandbox (its own ledger and workspace). */
  plan(restore: RestoreModule, params: unknown, options?: RunOptions): Promise<RunReport>;
  /** `apply()` against the sandbox, confirmed (tests have nobody to ask). */
  apply(restore: RestoreModule, params: unknown, options?: Partial<ApplyOptions>): Promise<RunReport>;
  undo(runId: string, options?: Partial<UndoOptions>): Promise<RunReport>;
  /** A new unique schema name owned by this sandbox (dropped by `drop()`); not created. */
  schemaName(purpose: string): string;
  /** Runs a SQL script file or text against the live schema. */
  load(fileOrScript: { readonly file: string } | { readonly sql: string }): Promise<void>;
  /** All rows of a live table, ordered. */
  rows(table: string, options?: RowsOptions): Promise<Record<string, unknown>[]>;
  /** `CHECKSUM TABLE` of a live table, for byte-identity assertions. */
  checksum(table: string): Promise<string>;
  drop(): Promise<void>;
}

export async function createSandbox(
  server: MysqlServer | { readonly url: string },
  options: SandboxOptions = {},
): Promise<Sandbox> {
  if (typeof server?.url !== 'string' || server.url === '') {
    throw new UsageError('createSandbox needs a server with a url', {
      hint: "start one with `const server = await startMysql()` (from 'rowback/testing') and pass it",
    });
  }
  const id = randomBytes(4).toString('hex');
  const prefix = options.prefix ?? 'rbt';
  const schema = `${prefix}_${id}`;
  const owned = new Set<string>([schema]);
  const { database: _serverDefault, ...base } = parseConnectionUrl(server.url);
  const admin = await connect(base);
  await sql
    .raw(`CREATE DATABASE ${quoteId(schema)} DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`)
    .execute(admin.db);
  const url = formatConnectionUrl({ ...base, database: schema });
  const target = await connect(url);

  const load: Sandbox['load'] = async (input) => {
    const script = 'file' in input ? await readFile(input.file, 'utf8') : input.sql;
    // One pinned connection, so session settings in the script (SET NAMES, FOREIGN_KEY_CHECKS) hold.
    await target.db.connection().execute(async (pinned) => {
      for (const statement of splitSqlScript(script)) await sql.raw(statement).execute(pinned);
    });
  };
  for (const file of options.fixtures ?? []) await load({ file });

  const controlSchema = `${schema}_ctl`;
  const workspaceSchema = `${schema}_ws`;
  owned.add(controlSchema);
  owned.add(workspaceSchema);
  const runOptions = { controlSchema, workspaceSchema };

  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await target.close();
    for (const name of owned) await sql.raw(`DROP DATABASE IF EXISTS ${quoteId(name)}`).execute(admin.db);
    await admin.close();
  };
  const sandbox: Sandbox = {
    schema,
    url,
    target,
    controlSchema,
    workspaceSchema,
    plan: (restore, params, options = {}) => plan(target, restore, params, { ...runOptions, ...options }),
    apply: (restore, params, options = {}) =>
      apply(target, restore, params, { confirm: true, ...runOptions, ...options }),
    undo: (runId, options = {}) => undo(target, runId, { confirm: true, controlSchema, ...options }),
    schemaName(purpose: string) {
      const name = `${prefix}_${id}_${purpose}`.slice(0, 64);
      owned.add(name);
      return name;
    },
    load,
    async rows(table: string, rowsOptions: RowsOptions = {}) {
      const orderBy = [rowsOptions.orderBy ?? []].flat();
      const order = orderBy.length ? ` ORDER BY ${orderBy.map(quoteId).join(', ')}` : '';
      const result = await sql
        .raw<Record<string, unknown>>(`SELECT * FROM ${quoteQualified(schema, table)}${order}`)
        .execute(target.db);
      return result.rows;
    },
    async checksum(table: string) {
      const result = await sql
        .raw<{ Checksum: string | null }>(`CHECKSUM TABLE ${quoteQualified(schema, table)} EXTENDED`)
        .execute(target.db);
      return String(result.rows[0]?.Checksum);
    },
    drop,
    [Symbol.asyncDispose]: drop,
  };
  return Object.freeze(sandbox);
}
