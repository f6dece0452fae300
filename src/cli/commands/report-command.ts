import { renderReportMarkdown } from '../../runner/report-markdown.ts';
import { storedReport } from '../../runner/stored-report.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { writeHtmlReport } from '../html-output.ts';
import { controlSchemaOf, openTarget, type TargetFlags } from '../options.ts';

/** `rowback report <run> [--html FILE] [--json]`: a finished run's report, from the ledger. */
export async function reportCommand(
  runId: string,
  flags: TargetFlags & { readonly html?: string; readonly json?: boolean },
  io: CliIo,
): Promise<number> {
  const target = await openTarget(flags, io);
  try {
    const report = await storedReport(target, runId, controlSchemaOf(flags, io));
    if (flags.html) await writeHtmlReport(io, flags.html, report);
    if (flags.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else if (!flags.html) io.stdout.write(renderReportMarkdown(report));
    return EXIT.ok;
  } finally {
    await target.close();
  }
}
