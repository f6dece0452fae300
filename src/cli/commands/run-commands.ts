import { UsageError } from '../../errors/index.ts';
import { committedWrites } from '../../runner/committed-writes.ts';
import { formatFingerprint } from '../../runner/fingerprint.ts';
import { loadModule } from '../../runner/module-loader.ts';
import type { RunReport } from '../../runner/report.ts';
import { renderReportMarkdown } from '../../runner/report-markdown.ts';
import { apply, plan, type RunOptions } from '../../runner/run-restore.ts';
import { ask, type CliIo, isInteractive, writeLine } from '../cli-io.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { writeHtmlReport } from '../html-output.ts';
import {
  collectParams,
  controlSchemaOf,
  leaseTtlOf,
  openTarget,
  type ParamFlags,
  paramsFor,
  restoresDir,
  type TargetFlags,
} from '../options.ts';
import { progressReporter } from '../progress-reporter.ts';
import { type ThrottleFlags, throttleOf } from '../throttle-flags.ts';

export interface RunFlags extends TargetFlags, ParamFlags {
  readonly restores?: string;
  readonly workspace?: string;
  readonly leaseTtl?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly html?: string;
}

export interface ApplyFlags extends RunFlags, ThrottleFlags {
  readonly yes?: boolean;
  readonly force?: boolean;
  readonly resume?: boolean;
  readonly expectHost?: string;
}

/** `rowback plan <id>`: the dry run. */
export async function planCommand(id: string, flags: RunFlags, io: CliIo): Promise<number> {
  return runCommand(id, flags, io, async (target, restore, params, options) =>
    plan(target, restore, params, options),
  );
}

/** `rowback apply <id>`: confirmation (typed schema name, or --yes), then the real run. */
export async function applyCommand(id: string, flags: ApplyFlags, io: CliIo): Promise<number> {
  return runCommand(id, flags, io, async (target, restore, params, options) => {
    const interactive = isInteractive(io);
    if (!flags.yes && !interactive) {
      throw new UsageError('apply needs confirmation', {
        hint: 'pass --yes in scripts (and --expect-host to pin the server)',
      });
    }
    return apply(target, restore, params, {
      ...options,
      throttle: throttleOf(flags),
      ...(flags.force ? { force: true } : {}),
      ...(flags.resume ? { resume: true } : {}),
      ...(flags.expectHost ? { expectHost: flags.expectHost } : {}),
      confirm: flags.yes
        ? true
        : async (fingerprint) => {
            writeLine(io.stderr, `About to apply ${restore.id} to:\n${formatFingerprint(fingerprint)}`);
            const typed = await ask(io, `Type the schema name (${fingerprint.schema}) to confirm: `);
            return typed === fingerprint.schema;
          },
      ...(interactive
        ? {
            confirmManual: async (name: string, text: string) =>
              (await ask(io, `Manual step '${name}': ${text}\nType "done" when done: `)) === 'done',
          }
        : {}),
    });
  });
}

type Runner = (
  target: Awaited<ReturnType<typeof openTarget>>,
  restore: Awaited<ReturnType<typeof loadModule>>['restore'],
  params: Record<string, unknown>,
  options: RunOptions,
) => Promise<RunReport>;

async function runCommand(id: string, flags: RunFlags, io: CliIo, runner: Runner): Promise<number> {
  const loaded = await loadModule(restoresDir(flags, io), id);
  const params = await paramsFor(loaded.restore, await collectParams(flags, io));
  const target = await openTarget(flags, io);
  const progress = progressReporter(io, Boolean(flags.quiet || flags.json));
  // Ctrl-C ends the process: the server rolls back an open transaction when the session ends, and the
  // ledger then shows the run interrupted. Say so, so the operator knows what state things are in.
  const onInterrupt = () => {
    progress.stop();
    writeLine(
      io.stderr,
      `rowback: interrupted. An open transaction is rolled back by the server; committed steps stay. See \`rowback status ${id}\`, then \`rowback apply ${id} --resume\`.`,
    );
    process.exit(EXIT.interrupted);
  };
  process.once('SIGINT', onInterrupt);
  try {
    const report = await runner(target, loaded.restore, params, {
      checksum: loaded.checksum,
      onEvent: progress.onEvent,
      ...controlSchemaOf(flags, io),
      ...leaseTtlOf(flags),
      ...(flags.workspace ? { workspaceSchema: flags.workspace } : {}),
    });
    progress.stop();
    if (flags.html) await writeHtmlReport(io, flags.html, report);
    io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReportMarkdown(report));
    if (report.status === 'done') return EXIT.ok;
    // On stderr too, so a script's log (--json on stdout) says what stayed committed.
    if (report.mode === 'apply' && report.status === 'failed')
      writeLine(io.stderr, `rowback: ${committedWrites(report)}`);
    if (report.status === 'awaiting') return EXIT.awaitingManualStep;
    return exitCodeFor(report.error?.name);
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.stop();
    await target.close();
  }
}
