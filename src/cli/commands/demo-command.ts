import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { buildIncident, type IncidentPhase, MIN_USERS, planIncident } from '../../demo/index.ts';
import { BinlogSettingError, UsageError } from '../../errors/index.ts';
import { loadModule } from '../../runner/module-loader.ts';
import { renderRunbook } from '../../runner/render-runbook.ts';
import type { RunReport } from '../../runner/report.ts';
import { renderReportMarkdown } from '../../runner/report-markdown.ts';
import { currentBinlogPosition } from '../../sources/index.ts';
import {
  createSandbox,
  defaultProviderEnvironment,
  type MysqlServer,
  type Sandbox,
  startMysql,
} from '../../testing/index.ts';
import { type CliIo, writeLine } from '../cli-io.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { writeHtmlReport } from '../html-output.ts';
import { checkBinlogGroundTruth } from './demo-binlog-truth.ts';
import { checkGroundTruth, readUserRows, type UserRows } from './demo-ground-truth.ts';
import { APPLY_GUIDE, groundTruth, INTRO, PLAN_GUIDE, RUNBOOK_GUIDE } from './demo-narration.ts';

export const DEMO_MODULE = '20261126-wpca-uid-collision';
/** `--source binlog`: the same incident undone from the binary log, with no backup. */
export const DEMO_BINLOG_MODULE = '20261204-wpca-uid-collision-binlog';
/** Next to src/ and dist/ alike: `<package>/restores`. */
const RESTORES = fileURLToPath(new URL('../../../restores', import.meta.url));

export interface DemoFlags {
  readonly users?: string;
  readonly seed?: string;
  readonly strategy?: string;
  /** `backup` (default): restore from the backup; `binlog`: revert the import from the binary log. */
  readonly source?: string;
  /** Also write the plan's report as an HTML page. */
  readonly html?: string;
}

const PHASE_TEXT: Readonly<Record<IncidentPhase, string>> = {
  backup:
    'site built (users, usermeta, events, participants, results) and backed up with mariadb-dump / mysqldump and as a MySQL Shell dump',
  'after-backup': 'life after the backup: registrations, password resets, profile edits, renewals',
  import: 'the bad import ran: legacy UIDs taken for user IDs',
  'after-import': 'life after the import: logins of hit members, new registrations (the trap user)',
};

/**
 * `rowback demo`: builds the WPCA incident on the test-server provider chain, plans, applies, checks
 * the result against the ground truth, and prints the report and runbook. Its server, schemas and temp
 * files go away at the end, on failure and on Ctrl-C.
 */
export async function demoCommand(flags: DemoFlags, io: CliIo): Promise<number> {
  const users = integerAtLeast(flags.users ?? '2000', '--users', MIN_USERS);
  const seed = integerAtLeast(flags.seed ?? '20261120', '--seed', 0);
  const strategy = flags.strategy ?? 'allowlist';
  if (strategy !== 'allowlist' && strategy !== 'replace') {
    throw new UsageError(`--strategy must be allowlist or replace, got ${JSON.stringify(strategy)}`);
  }
  const source = flags.source ?? 'backup';
  if (source !== 'backup' && source !== 'binlog') {
    throw new UsageError(`--source must be backup or binlog, got ${JSON.stringify(source)}`);
  }
  const out = (text = '') => writeLine(io.stdout, text);
  const started = performance.now();
  const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

  let starting: Promise<MysqlServer> | undefined;
  let server: MysqlServer | undefined;
  let box: Sandbox | undefined;
  let workDir: string | undefined;
  let cleaning: Promise<void> | undefined;
  const cleanup = () => {
    cleaning ??= (async () => {
      await box?.drop().catch(() => undefined);
      // Interrupted while the server was starting: wait for it, so it can be stopped, not orphaned.
      const started = server ?? (await starting?.catch(() => undefined));
      await started?.stop().catch(() => undefined);
      if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    })();
    return cleaning;
  };
  // Ctrl-C: stop the private server and remove the temp files before leaving, not after.
  const onSignal = (signal: NodeJS.Signals) => {
    writeLine(io.stderr, `\n${signal}: stopping the demo's server and removing its files…`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    out(INTRO);
    out();
    out(
      '[1/6] Starting a MySQL server (provider chain: ROWBACK_TEST_DATABASE_URL, a container runtime, or a local mysqld/mariadbd)…',
    );
    let t = performance.now();
    starting = startMysql({
      environment: { ...defaultProviderEnvironment, env: io.env },
      binaryLog: source === 'binlog',
    });
    server = await starting;
    out(`      ${server.flavour} ${server.version} (${server.provider}) in ${seconds(t)} s`);
    box = await createSandbox(server, { prefix: 'rbdemo' });
    if (source === 'binlog') await requireRowBinlog(box);
    workDir = await mkdtemp(join(tmpdir(), 'rowback-demo-'));

    out(`[2/6] Building the incident: ${users} users, seed ${seed}, in schema ${box.schema}…`);
    t = performance.now();
    const sandbox = box;
    const marks: { start?: string; stop?: string; pre?: UserRows; post?: UserRows } = {};
    const incident = await buildIncident(box.target, {
      users,
      seed,
      workDir,
      onPhase: async (phase) => {
        out(`      ${seconds(t).padStart(5)} s  ${PHASE_TEXT[phase]}`);
        if (source !== 'binlog' || (phase !== 'after-backup' && phase !== 'import')) return;
        // The window of the bad import, and the users' rows around it for the ground truth.
        const at = await currentBinlogPosition(sandbox.target);
        const rows = await readUserRows(sandbox, collidedOf(seed, users));
        if (phase === 'after-backup') Object.assign(marks, { start: `${at.file}:${at.position}`, pre: rows });
        else Object.assign(marks, { stop: `${at.file}:${at.position}`, post: rows });
      },
    });
    out();
    out(groundTruth(incident, seconds(t)));
    out();

    const moduleId = source === 'binlog' ? DEMO_BINLOG_MODULE : DEMO_MODULE;
    const { restore, checksum } = await loadModule(RESTORES, moduleId);
    const params =
      source === 'binlog'
        ? { start: marks.start, stop: marks.stop, importBatch: incident.importBatch }
        : { backup: incident.backupFile, importBatch: incident.importBatch, strategy };
    out(
      `[3/6] rowback plan ${moduleId} ${Object.entries(params)
        .map(([k, v]) => `--param ${k}=${v}`)
        .join(' ')}`,
    );
    out();
    out(PLAN_GUIDE);
    out();
    const planned = await box.plan(restore, params, { checksum });
    out(renderReportMarkdown(planned));
    if (flags.html) await writeHtmlReport(io, flags.html, planned);
    if (planned.status !== 'done') return failed('plan', planned, io);

    out(`[4/6] rowback apply ${moduleId} (same params)`);
    out();
    out(APPLY_GUIDE);
    out();
    const before = await readUserRows(box, incident.collidedUserIds);
    const applied = await box.apply(restore, params, { checksum, confirmManual: async () => true });
    out(renderReportMarkdown(applied));
    if (applied.status !== 'done') return failed('apply', applied, io);

    out('[5/6] Checking the live data against the ground truth the incident builder recorded:');
    const check =
      source === 'binlog'
        ? await checkBinlogGroundTruth(
            box,
            incident,
            { pre: marks.pre!, post: marks.post!, final: before },
            before,
          )
        : await checkGroundTruth(box, incident, strategy, before);
    for (const line of check.lines) out(`      ${line}`);
    if (source === 'backup') out(`      ${finalChecks(planned, applied)}`);
    out(
      check.ok
        ? 'The restore matched the ground truth.'
        : 'The restore did NOT match the ground truth (see ✗ above).',
    );
    out();

    out(`[6/6] ${RUNBOOK_GUIDE}`);
    out();
    out(renderRunbook(restore, { report: applied }));
    // On ROWBACK_TEST_DATABASE_URL the server is the user's own: only the demo's schemas go, not it.
    const removed =
      server.provider === 'url' ? "the demo's schemas and the temp files" : 'the server and the temp files';
    out(`Demo finished in ${seconds(started)} s; ${removed} are removed now.`);
    return check.ok ? EXIT.ok : EXIT.error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await cleanup();
  }
}

/** What the module's own final verifications saw before (in the plan) and after the apply. */
function finalChecks(planned: RunReport, applied: RunReport): string {
  const rows = (report: RunReport, name: string) => report.steps.find((s) => s.name === name)?.rows ?? '?';
  const foreign = 'no EP points at a foreign user';
  return `✓ the module's own final checks passed: '${foreign}' found ${rows(planned, foreign)} before the restore (migrated members whose ep_legacy_uid the importer overwrote) and ${rows(applied, foreign)} after; 'no unscoped user changed' found ${rows(applied, 'no unscoped user changed')}`;
}

function failed(what: string, report: RunReport, io: CliIo): number {
  writeLine(
    io.stderr,
    `rowback demo: the ${what} ${report.status}: ${report.error?.message ?? 'see the report above'}`,
  );
  return exitCodeFor(report.error?.name);
}

function integerAtLeast(text: string, flag: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  return n;
}

/** The users the incident will collide: known from the plan before the build runs. */
function collidedOf(seed: number, users: number): readonly number[] {
  return planIncident({ users, seed }).collidedUserIds;
}

/** `--source binlog` needs a server that logs rows: the provider chain may have given another. */
async function requireRowBinlog(box: Sandbox): Promise<void> {
  const { rows } = await sql<{ on_: number; format: string; image: string }>`
    SELECT @@log_bin AS on_, @@binlog_format AS format, @@binlog_row_image AS image`.execute(box.target.db);
  const row = rows[0];
  if (Number(row?.on_) !== 1 || row?.format !== 'ROW' || row?.image !== 'FULL') {
    throw new BinlogSettingError({
      setting: 'log_bin / binlog_format / binlog_row_image',
      expected: 'ON / ROW / FULL',
      found: `${Number(row?.on_) === 1 ? 'ON' : 'OFF'} / ${row?.format} / ${row?.image}`,
      what: "rowback demo --source binlog reverts the import from the demo server's binary log",
      fix: 'let the demo start its private mariadbd/mysqld (unset ROWBACK_TEST_DATABASE_URL), or give it a server with log-bin, binlog_format=ROW, binlog_row_image=FULL',
    });
  }
}
