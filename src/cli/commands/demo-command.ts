import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildIncident, type IncidentPhase, MIN_USERS } from '../../demo/index.ts';
import { UsageError } from '../../errors/index.ts';
import { loadModule } from '../../runner/module-loader.ts';
import { renderRunbook } from '../../runner/render-runbook.ts';
import type { RunReport } from '../../runner/report.ts';
import { renderReportMarkdown } from '../../runner/report-markdown.ts';
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
import { checkGroundTruth, readUserRows } from './demo-ground-truth.ts';
import { APPLY_GUIDE, groundTruth, INTRO, PLAN_GUIDE, RUNBOOK_GUIDE } from './demo-narration.ts';

export const DEMO_MODULE = '20261126-wpca-uid-collision';
/** Next to src/ and dist/ alike: `<package>/restores`. */
const RESTORES = fileURLToPath(new URL('../../../restores', import.meta.url));

export interface DemoFlags {
  readonly users?: string;
  readonly seed?: string;
  readonly strategy?: string;
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
    starting = startMysql({ environment: { ...defaultProviderEnvironment, env: io.env } });
    server = await starting;
    out(`      ${server.flavour} ${server.version} (${server.provider}) in ${seconds(t)} s`);
    box = await createSandbox(server, { prefix: 'rbdemo' });
    workDir = await mkdtemp(join(tmpdir(), 'rowback-demo-'));

    out(`[2/6] Building the incident: ${users} users, seed ${seed}, in schema ${box.schema}…`);
    t = performance.now();
    const incident = await buildIncident(box.target, {
      users,
      seed,
      workDir,
      onPhase: (phase) => out(`      ${seconds(t).padStart(5)} s  ${PHASE_TEXT[phase]}`),
    });
    out();
    out(groundTruth(incident, seconds(t)));
    out();

    const { restore, checksum } = await loadModule(RESTORES, DEMO_MODULE);
    const params = { backup: incident.backupFile, importBatch: incident.importBatch, strategy };
    out(
      `[3/6] rowback plan ${DEMO_MODULE} --param backup=${incident.backupFile} --param importBatch=${incident.importBatch} --param strategy=${strategy}`,
    );
    out();
    out(PLAN_GUIDE);
    out();
    const planned = await box.plan(restore, params, { checksum });
    out(renderReportMarkdown(planned));
    if (flags.html) await writeHtmlReport(io, flags.html, planned);
    if (planned.status !== 'done') return failed('plan', planned, io);

    out(`[4/6] rowback apply ${DEMO_MODULE} (same params)`);
    out();
    out(APPLY_GUIDE);
    out();
    const before = await readUserRows(box, incident.collidedUserIds);
    const applied = await box.apply(restore, params, { checksum, confirmManual: async () => true });
    out(renderReportMarkdown(applied));
    if (applied.status !== 'done') return failed('apply', applied, io);

    out('[5/6] Checking the live data against the ground truth the incident builder recorded:');
    const check = await checkGroundTruth(box, incident, strategy, before);
    for (const line of check.lines) out(`      ${line}`);
    out(`      ${finalChecks(planned, applied)}`);
    out(
      check.ok
        ? 'The restore matched the ground truth.'
        : 'The restore did NOT match the ground truth (see ✗ above).',
    );
    out();

    out(`[6/6] ${RUNBOOK_GUIDE}`);
    out();
    out(renderRunbook(restore, { report: applied }));
    out(`Demo finished in ${seconds(started)} s; the server and the temp files are removed now.`);
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
