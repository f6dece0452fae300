import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderReportHtml } from '../report-html/index.ts';
import type { RunReport } from '../runner/report.ts';
import { type CliIo, writeLine } from './cli-io.ts';

/** `--html FILE`: the report as one self-contained page; the path is said on stderr (stdout may be JSON). */
export async function writeHtmlReport(io: CliIo, file: string, report: RunReport): Promise<void> {
  const path = resolve(io.cwd, file);
  await writeFile(path, renderReportHtml(report));
  writeLine(io.stderr, `rowback: HTML report of run ${report.runId ?? '-'} written to ${path}`);
}
