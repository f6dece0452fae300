import { gc } from '../../runner/gc.ts';
import { table } from '../../runner/markdown.ts';
import { type CliIo, writeLine } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { controlSchemaOf, openTarget, type TargetFlags } from '../options.ts';

/** `rowback gc`: lists expired artifacts, then drops them (`--dry-run` only lists). */
export async function gcCommand(
  flags: TargetFlags & { readonly json?: boolean; readonly dryRun?: boolean },
  io: CliIo,
): Promise<number> {
  const target = await openTarget(flags, io);
  try {
    const result = await gc(target, {
      ...controlSchemaOf(flags, io),
      ...(flags.dryRun ? { dryRun: true } : {}),
    });
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    const rows = result.expired.map((i) => [
      i.moduleId,
      i.runId,
      i.kind,
      i.table ? `${i.schema}.${i.table}` : `${i.schema} (schema)`,
      i.expiresAt ?? '',
    ]);
    writeLine(
      io.stdout,
      rows.length
        ? `Expired artifacts:\n\n${table(['module', 'run', 'kind', 'object', 'expired at (UTC)'], rows)}\n`
        : 'Nothing has expired.',
    );
    if (flags.dryRun) writeLine(io.stdout, 'Dry run: nothing dropped.');
    else writeLine(io.stdout, `Dropped ${result.dropped.length} object(s).`);
    for (const k of result.kept)
      writeLine(io.stdout, `Kept ${k.table ? `${k.schema}.${k.table}` : k.schema}: ${k.reason}.`);
    return EXIT.ok;
  } finally {
    await target.close();
  }
}
