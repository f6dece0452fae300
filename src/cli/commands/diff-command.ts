import { TableRef } from '../../db/index.ts';
import { UsageError } from '../../errors/index.ts';
import { diffTables } from '../../primitives/index.ts';
import { shown, table } from '../../runner/markdown.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { openTarget, type TargetFlags } from '../options.ts';

export interface DiffFlags extends TargetFlags {
  readonly key?: string;
  readonly columns?: string;
  readonly sample?: string;
  readonly json?: boolean;
}

/** `schema.table`, or `table` in the connection's default schema. */
export function parseTableName(text: string, defaultSchema: string | null): TableRef {
  const dot = text.indexOf('.');
  if (dot > 0) return new TableRef(text.slice(0, dot), text.slice(dot + 1));
  if (!defaultSchema)
    throw new UsageError(`${text} names no schema and the connection has no default schema`, {
      hint: 'write schema.table',
    });
  return new TableRef(defaultSchema, text);
}

/**
 * `rowback diff <left> <right>`: rows that differ between two tables on the server (changed, only
 * left, only right), per-column counts and field-level samples. Exit 0 either way; `--json` for scripts.
 */
export async function diffCommand(left: string, right: string, flags: DiffFlags, io: CliIo): Promise<number> {
  const target = await openTarget(flags, io);
  try {
    const l = parseTableName(left, target.server.defaultSchema);
    const r = parseTableName(right, target.server.defaultSchema);
    const result = await diffTables(target.db, l, r, {
      ...(flags.key ? { key: flags.key.split(',') } : {}),
      ...(flags.columns ? { columns: flags.columns.split(',') } : {}),
      sampleSize: Number(flags.sample ?? 10),
    });
    if (flags.json) {
      io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return EXIT.ok;
    }
    const out = [
      `${l} vs ${r} (key ${result.key.join(', ')}): ${result.changed} changed, ${result.onlyLeft} only in ${l}, ${result.onlyRight} only in ${r}`,
      '',
      table(
        ['column', 'rows differing'],
        Object.entries(result.columnCounts).filter(([, n]) => n > 0),
      ),
      '',
    ];
    for (const row of result.sample.changed) {
      out.push(`- ${JSON.stringify(row.key)}`);
      for (const f of row.fields)
        out.push(
          f.textDiff
            ? `  - ${f.column}:\n${f.textDiff}`
            : `  - ${f.column}: ${shown(f.left)} → ${shown(f.right)}`,
        );
    }
    io.stdout.write(`${out.join('\n')}\n`);
    return EXIT.ok;
  } finally {
    await target.close();
  }
}
