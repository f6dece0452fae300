import { DEFAULT_CONTROL_SCHEMA, ledgerExists } from '../../ledger/index.ts';
import { table } from '../../runner/markdown.ts';
import { status } from '../../runner/status.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { controlSchemaOf, openTarget, type TargetFlags } from '../options.ts';

/** `rowback status [<id>]`: the ledger's runs, newest first. */
export async function statusCommand(
  id: string | undefined,
  flags: TargetFlags & { readonly json?: boolean; readonly limit?: string },
  io: CliIo,
): Promise<number> {
  const target = await openTarget(flags, io);
  try {
    const runs = await status(target, {
      ...(id ? { moduleId: id } : {}),
      ...controlSchemaOf(flags, io),
      ...(flags.limit ? { limit: Number(flags.limit) } : {}),
    });
    if (flags.json) io.stdout.write(`${JSON.stringify({ runs }, null, 2)}\n`);
    else if (runs.length === 0) {
      const schema = controlSchemaOf(flags, io).controlSchema ?? DEFAULT_CONTROL_SCHEMA;
      const exists = await ledgerExists(target, schema);
      io.stdout.write(
        exists
          ? `No runs${id ? ` of ${id}` : ''} recorded in the ledger ${schema}.\n`
          : `There is no rowback ledger in schema ${schema} (nothing ran here yet, or check --control-schema).\n`,
      );
    } else {
      io.stdout.write(
        `${table(
          ['run', 'module', 'mode', 'status', 'operator', 'started (UTC)', 'finished (UTC)', 'note'],
          runs.map((r) => [
            r.runId,
            r.moduleId,
            r.mode,
            r.status,
            r.operator,
            r.startedAt,
            r.finishedAt ?? '',
            [
              r.forced ? 'forced' : '',
              r.resumedFrom ? `resumes ${r.resumedFrom}` : '',
              r.undoOf ? `undoes ${r.undoOf}` : '',
              r.error ?? '',
            ]
              .filter(Boolean)
              .join('; '),
          ]),
        )}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    await target.close();
  }
}
