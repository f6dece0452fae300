import type { Target } from '../db/index.ts';
import { UnknownRunError, UsageError } from '../errors/index.ts';
import { DEFAULT_CONTROL_SCHEMA, getRun, ledgerExists, openLedger } from '../ledger/index.ts';
import type { RunReport } from './report.ts';

export interface StoredReportOptions {
  readonly controlSchema?: string;
}

/**
 * The report of a finished run, as the ledger stored it (`rowback report <run>`). Reports written
 * before they carried the operator get it from the run's ledger row.
 *
 * @example const report = await storedReport(target, '42'); console.log(report.status);
 */
export async function storedReport(
  target: Target,
  runId: string,
  options: StoredReportOptions = {},
): Promise<RunReport> {
  const controlSchema = options.controlSchema ?? DEFAULT_CONTROL_SCHEMA;
  const hint = 'see `rowback status` for the run ids of this ledger (or pass --control-schema)';
  if (!(await ledgerExists(target, controlSchema))) {
    throw new UnknownRunError(`expected run ${runId} in the ledger ${controlSchema}, found no ledger there`, {
      hint,
      facts: { runId, controlSchema },
    });
  }
  const run = /^\d+$/.test(runId) ? await getRun(await openLedger(target, controlSchema), runId) : undefined;
  if (!run) {
    throw new UnknownRunError(`expected run ${runId} in the ledger ${controlSchema}, found no such run`, {
      hint,
      facts: { runId, controlSchema },
    });
  }
  if (!run.report_json) {
    throw new UsageError(`run ${runId} has no report yet: it is ${run.status}`, {
      hint: 'a report is stored when the run ends; see `rowback status`',
    });
  }
  const report = JSON.parse(run.report_json) as RunReport;
  return Object.freeze({ ...report, operator: report.operator ?? run.operator });
}
