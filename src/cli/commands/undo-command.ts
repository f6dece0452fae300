import { UsageError } from '../../errors/index.ts';
import { formatFingerprint } from '../../runner/fingerprint.ts';
import { renderReportMarkdown } from '../../runner/report-markdown.ts';
import { undo } from '../../runner/undo-run.ts';
import { ask, type CliIo, isInteractive, writeLine } from '../cli-io.ts';
import { EXIT, exitCodeFor } from '../exit-codes.ts';
import { writeHtmlReport } from '../html-output.ts';
import { controlSchemaOf, leaseTtlOf, openTarget, type TargetFlags } from '../options.ts';
import { progressReporter } from '../progress-reporter.ts';
import { type ThrottleFlags, throttleOf } from '../throttle-flags.ts';

/** `rowback undo <run>`: puts back the before-images of an apply run. */
export async function undoCommand(
  runId: string,
  flags: TargetFlags &
    ThrottleFlags & {
      readonly yes?: boolean;
      readonly force?: boolean;
      readonly json?: boolean;
      readonly leaseTtl?: string;
      readonly quiet?: boolean;
      readonly html?: string;
    },
  io: CliIo,
): Promise<number> {
  if (!flags.yes && !isInteractive(io)) {
    throw new UsageError('undo needs confirmation', { hint: 'pass --yes in scripts' });
  }
  const throttle = throttleOf(flags);
  const target = await openTarget(flags, io);
  const progress = progressReporter(io, Boolean(flags.quiet || flags.json));
  try {
    const report = await undo(target, runId, {
      ...controlSchemaOf(flags, io),
      ...leaseTtlOf(flags),
      throttle,
      onEvent: progress.onEvent,
      ...(flags.force ? { force: true } : {}),
      confirm: flags.yes
        ? true
        : async (fingerprint) => {
            writeLine(io.stderr, `About to undo run ${runId} on:\n${formatFingerprint(fingerprint)}`);
            return (
              (await ask(io, `Type the schema name (${fingerprint.schema}) to confirm: `)) ===
              fingerprint.schema
            );
          },
    });
    if (flags.html) await writeHtmlReport(io, flags.html, report);
    io.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderReportMarkdown(report));
    return report.status === 'done' ? EXIT.ok : exitCodeFor(report.error?.name);
  } finally {
    progress.stop();
    await target.close();
  }
}
