import { UsageError } from '../../errors/index.ts';
import { DEFAULT_CONTROL_SCHEMA, getRun, listRuns, openLedger } from '../../ledger/index.ts';
import { loadModule } from '../../runner/module-loader.ts';
import { renderRunbook } from '../../runner/render-runbook.ts';
import type { RunReport } from '../../runner/report.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { controlSchemaOf, openTarget, restoresDir, type TargetFlags } from '../options.ts';

/**
 * `rowback render <id> [--run N]`: the runbook. With a database, the Execution section shows the given
 * run (or the module's latest plan or apply); without one, the module's own text only.
 */
export async function renderCommand(
  id: string,
  flags: TargetFlags & { readonly restores?: string; readonly run?: string },
  io: CliIo,
): Promise<number> {
  const { restore } = await loadModule(restoresDir(flags, io), id);
  let report: RunReport | null = null;
  if (flags.db ?? io.env.ROWBACK_DATABASE_URL) {
    const target = await openTarget(flags, io);
    try {
      const ledger = await openLedger(
        target,
        controlSchemaOf(flags, io).controlSchema ?? DEFAULT_CONTROL_SCHEMA,
      );
      const run = flags.run
        ? await getRun(ledger, flags.run)
        : (await listRuns(ledger, { moduleId: id, limit: 20 })).find(
            (r) => r.mode !== 'undo' && r.report_json,
          );
      if (flags.run && (!run || run.module_id !== id))
        throw new UsageError(`run ${flags.run} is not a run of ${id}`);
      report = run?.report_json ? (JSON.parse(run.report_json) as RunReport) : null;
    } finally {
      await target.close();
    }
  } else if (flags.run) {
    throw new UsageError('--run needs a database', { hint: 'pass --db or set ROWBACK_DATABASE_URL' });
  }
  io.stdout.write(renderRunbook(restore, { report }));
  return EXIT.ok;
}
