import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { renderReportHtml } from '../report-html/index.ts';
import type { RunReport } from '../runner/report.ts';
import { type CliIo, writeLine } from './cli-io.ts';

/** `--html FILE`: a page written, its path said on stderr (stdout may carry JSON). */
export async function writeHtmlFile(io: CliIo, file: string, page: string, what: string): Promise<void> {
  const path = resolve(io.cwd, file);
  await writeFile(path, page);
  writeLine(io.stderr, `rowback: HTML report of ${what} written to ${path}`);
}

/** `--html FILE` of a run: its report as one self-contained page. */
export async function writeHtmlReport(io: CliIo, file: string, report: RunReport): Promise<void> {
  await writeHtmlFile(io, file, renderReportHtml(report), `run ${report.runId ?? '-'}`);
}
