import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { connect, formatConnectionUrl, parseConnectionUrl, quoteId, type Target } from '../db/index.ts';
import { isErrorNamed, RehearsalMismatchError, RehearsalScopeError, UsageError } from '../errors/index.ts';
import { DEFAULT_CONTROL_SCHEMA, ledgerExists, openLedger } from '../ledger/index.ts';
import { type RestoreModule, validateParams } from './define-restore.ts';
import { toErrorReport } from './error-report.ts';
import { targetFingerprint } from './fingerprint.ts';
import { paramsDigest } from './params-record.ts';
import { tableChecksums } from './rehearsal-checksums.ts';
import { type CopyResult, copyLiveTables } from './rehearsal-copy.ts';
import { forecastTransactions } from './rehearsal-forecast.ts';
import type { RehearsalReport, TableChecksums } from './rehearsal-report.ts';
import { type CopyRules, rowsTheModuleCanTouch } from './rehearsal-scope.ts';
import { matchServer, readTransactionLimits, type ServerDifference } from './rehearsal-server-match.ts';
import type { RunReport } from './report.ts';
import type { RunEventListener } from './run-events.ts';
import { apply, findPlan, plan } from './run-restore.ts';
import { undo } from './undo-run.ts';

/** A throwaway server for the rehearsal, e.g. from `rowback/testing`'s `startMysql()`. */
export interface RehearsalServer {
  /** `mysql://…` without a default schema. */
  readonly url: string;
  /** `url` (an existing server: only schemas rehearse creates are used and dropped) or a server of its own. */
  readonly provider: string;
  stop(): Promise<void>;
}

export interface RehearseOptions {
  /** The target's ledger, where the plan whose scopes are used is recorded (default `rowback`). */
  readonly controlSchema?: string;
  /** sha256 of the module's files, from `loadModule`. */
  readonly checksum?: string;
  /** Starts the rehearsal server; rehearse stops it when it is done, also after a failure. */
  readonly startServer: () => Promise<RehearsalServer>;
  /** Stop before copying anything when the rehearsal server differs from the target in a way it cannot mimic. */
  readonly strict?: boolean;
  readonly onEvent?: RunEventListener;
}

const LIMITS_SOURCE =
  "from the target's cluster topology (readClusterTopology): group_replication_transaction_size_limit, wsrep_max_ws_size, wsrep_max_ws_rows";

/**
 * Runs the module end to end on a throwaway server holding a copy of exactly the rows it can touch:
 * the scopes of its last plan on the target (read, never computed there), widened by foreign keys,
 * copied with `fromServer`; the live tables made from the target's own `SHOW CREATE TABLE` and
 * triggers. Then plan, apply (manual steps confirmed, with a notice) and undo there, each checked by
 * checksums. The target is only read. Throws for a refusal (no plan, unbounded write, `strict`
 * mismatch); a rehearsal that fails is reported, and its server is stopped either way.
 *
 * @example
 * const report = await rehearse(target, restore, params, { startServer: () => startMysql() });
 * console.log(report.undoExact, report.apply?.steps.map((s) => [s.name, s.durationMs, s.rows]));
 */
export async function rehearse(
  target: Target,
  restore: RestoreModule,
  rawParams: unknown,
  options: RehearseOptions,
): Promise<RehearsalReport> {
  const startedAt = new Date().toISOString();
  const params = await validateParams(restore, rawParams);
  const liveSchema = target.server.defaultSchema;
  if (!liveSchema) {
    throw new UsageError(`the connection ${target.description} names no schema`, {
      hint: 'put the live schema in the URL: mysql://user@host:3306/<schema>',
    });
  }
  const controlSchema = options.controlSchema ?? DEFAULT_CONTROL_SCHEMA;
  const noPlan = () =>
    new RehearsalScopeError(
      `expected a successful plan of ${restore.id} with these params in the ledger ${controlSchema}, found none: rehearse reads the rows to copy from a plan's scopes, it computes nothing on the target`,
      {
        hint: `run \`rowback plan ${restore.id}\` with the same params first`,
        facts: { moduleId: restore.id },
      },
    );
  if (!(await ledgerExists(target, controlSchema))) throw noPlan();
  const ledger = await openLedger(target, controlSchema);
  const planRun = await findPlan(ledger, restore.id, paramsDigest(params));
  if (!planRun) throw noPlan();
  const { rules, backupSchemas } = await rowsTheModuleCanTouch(target, ledger, planRun, liveSchema);
  const limits = await readTransactionLimits(target);

  const server = await options.startServer();
  const id = randomBytes(4).toString('hex');
  const names = {
    schema: `rbr_${id}`,
    staging: `rbr_${id}_copy`,
    control: `rbr_${id}_ledger`,
    workspace: `rbr_${id}_ws`,
  };
  const notices: string[] = [];
  const opened: Target[] = [];
  /** Schemas made on an existing server besides `names`, dropped with them. */
  const created: string[] = [];
  let differences: readonly ServerDifference[] = [];
  let copy: CopyResult | null = null;
  let rehearsalPlan: RunReport | null = null;
  let applied: RunReport | null = null;
  let undone: RunReport | null = null;
  let checksums: TableChecksums[] = [];
  let error: RehearsalReport['error'] = null;
  let serverInfo = { flavour: '', version: '' };
  try {
    const admin = await connect(server.url);
    opened.push(admin);
    serverInfo = { flavour: admin.server.flavour, version: admin.server.version };
    await refuseSameServer(target, admin);
    differences = await matchServer(target, admin, server.provider !== 'url');
    const remaining = differences.filter((d) => !d.mimicked);
    if (remaining.length && options.strict) {
      throw new RehearsalMismatchError(
        `expected a rehearsal server like the target, found it differs in ${remaining.map((d) => `${d.setting} (target ${d.target}, rehearsal ${d.rehearsal})`).join('; ')}`,
        {
          hint: "rehearse without --strict to go on with a notice, or give the provider chain a server of the target's flavour and version (ROWBACK_TEST_DATABASE_URL, ROWBACK_TEST_IMAGE)",
          facts: { differences: remaining },
        },
      );
    }
    for (const d of differences) {
      notices.push(
        d.mimicked
          ? `${d.setting} set on the rehearsal server to the target's ${d.target} (it had ${d.rehearsal})`
          : `the rehearsal server differs from the target in ${d.setting}: target ${d.target}, rehearsal ${d.rehearsal}; the forecast may differ accordingly`,
      );
    }
    copy = await copyLiveTables(target, admin, {
      liveSchema,
      schema: names.schema,
      staging: names.staging,
      rules,
    });
    notices.push(...copy.notices);
    for (const [schema, tables] of backupSchemas) {
      await copyBackupSchema(target, admin, schema, tables, names.staging, created);
      notices.push(
        `backup schema ${schema} copied whole from the target for fromSchema (${[...tables.keys()].join(', ')})`,
      );
    }
    const tables = copy.tables.map((t) => t.table);
    const rehearsal = await connect(
      formatConnectionUrl({ ...parseConnectionUrl(server.url), database: names.schema }),
      {
        connectionLimit: 6,
      },
    );
    opened.push(rehearsal);
    const copied = await tableChecksums(rehearsal, names.schema, tables);
    const runOptions = {
      controlSchema: names.control,
      workspaceSchema: names.workspace,
      ...(options.checksum ? { checksum: options.checksum } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    };
    rehearsalPlan = await plan(rehearsal, restore, params, runOptions);
    if (rehearsalPlan.status === 'done') {
      applied = await apply(rehearsal, restore, params, {
        ...runOptions,
        confirm: true,
        confirmManual: async (name, instructions) => {
          notices.push(`manual step '${name}' was confirmed automatically in the rehearsal: ${instructions}`);
          return true;
        },
      });
    }
    const afterApply = applied ? await tableChecksums(rehearsal, names.schema, tables) : null;
    if (applied?.runId && applied.status === 'done') {
      undone = await undo(rehearsal, applied.runId, { controlSchema: names.control, confirm: true });
    }
    const afterUndo = undone ? await tableChecksums(rehearsal, names.schema, tables) : null;
    checksums = tables.map((table) => ({
      table,
      copied: copied.get(table) ?? null,
      afterApply: afterApply?.get(table) ?? null,
      afterUndo: afterUndo?.get(table) ?? null,
    }));
    const failed = [rehearsalPlan, applied, undone].find((r) => r && r.status !== 'done');
    if (failed?.error) error = failed.error;
  } catch (caught) {
    // Refusals before anything was copied are thrown, like apply's; failures after are reported.
    if (
      isErrorNamed(caught, 'RehearsalMismatchError') ||
      (isErrorNamed(caught, 'UsageError') && copy === null)
    ) {
      await cleanUp(server, opened, [...Object.values(names), ...created]);
      throw caught;
    }
    error = toErrorReport(caught);
  }
  await cleanUp(server, opened, [...Object.values(names), ...created]);

  const written = new Set(
    (applied?.steps ?? []).flatMap((s) =>
      s.operations.filter((o) => o.kind !== 'verify').map((o) => o.table),
    ),
  );
  const changedUnwritten = checksums.filter(
    (c) => !written.has(c.table) && c.afterApply !== null && c.afterApply !== c.copied,
  );
  for (const c of changedUnwritten) {
    notices.push(`${c.table} changed during the apply although the module writes no row of it (a trigger?)`);
  }
  const done = error === null && applied?.status === 'done' && undone?.status === 'done';
  return Object.freeze({
    moduleId: restore.id,
    title: restore.title,
    status: done ? 'done' : 'failed',
    target: targetFingerprint(target),
    planRunId: planRun.id,
    server: { provider: server.provider, ...serverInfo, schema: names.schema },
    differences,
    tables: copy?.tables ?? [],
    rehearsalPlan,
    apply: applied,
    undo: undone,
    checksums,
    applyExact: applied ? applied.status === 'done' && changedUnwritten.length === 0 : null,
    undoExact: undone ? checksums.every((c) => c.afterUndo === c.copied) : null,
    transactions: forecastTransactions(rehearsalPlan, applied, limits),
    limitsSource: LIMITS_SOURCE,
    notices,
    startedAt,
    finishedAt: new Date().toISOString(),
    error,
  });
}

/**
 * A "throwaway" server that is the target itself (ROWBACK_TEST_DATABASE_URL pointing at it) would
 * get the rehearsal's writes: refused. Host name, port and data directory together tell servers apart,
 * also two MariaDB servers of one host, whose derived server uuids are alike.
 */
async function refuseSameServer(target: Target, rehearsal: Target): Promise<void> {
  const identity = async (t: Target) =>
    JSON.stringify(
      (await sql<Record<string, unknown>>`SELECT @@hostname AS h, @@port AS p, @@datadir AS d`.execute(t.db))
        .rows[0],
    );
  if ((await identity(target)) === (await identity(rehearsal))) {
    throw new UsageError('expected a rehearsal server other than the target, found the target itself', {
      hint: 'point ROWBACK_TEST_DATABASE_URL at another server, or unset it so rehearse starts its own',
    });
  }
}

/**
 * A schema that `fromSchema` reads on the target, made again on the rehearsal server under its own
 * name (the module's params name it), with the tables the plan read, whole. Refused where a schema
 * of that name is there already: rehearse never writes into a schema it did not create.
 */
async function copyBackupSchema(
  target: Target,
  admin: Target,
  schema: string,
  tables: CopyRules,
  staging: string,
  created: string[],
): Promise<void> {
  const there = await sql<{ n: number }>`
    SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ${schema}`.execute(admin.db);
  if (Number(there.rows[0]?.n ?? 0) > 0) {
    throw new UsageError(
      `expected no schema ${schema} on the rehearsal server, to copy the backup fromSchema reads into, found one`,
      { hint: 'rehearse on a server of its own (unset ROWBACK_TEST_DATABASE_URL)' },
    );
  }
  created.push(schema);
  await copyLiveTables(target, admin, { liveSchema: schema, schema, staging, rules: tables, only: true });
}

async function cleanUp(
  server: RehearsalServer,
  opened: readonly Target[],
  schemas: readonly string[],
): Promise<void> {
  const admin = opened[0];
  // A server of its own goes away whole; on an existing one, only what rehearse created is dropped.
  if (server.provider === 'url' && admin) {
    for (const schema of schemas) {
      await sql
        .raw(`DROP DATABASE IF EXISTS ${quoteId(schema)}`)
        .execute(admin.db)
        .catch(() => undefined);
    }
  }
  for (const t of [...opened].reverse()) await t.close().catch(() => undefined);
  await server.stop().catch(() => undefined);
}
