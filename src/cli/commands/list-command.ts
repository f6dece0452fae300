import { table } from '../../runner/markdown.ts';
import { listModules, loadModule } from '../../runner/module-loader.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { restoresDir } from '../options.ts';

interface ListedModule {
  readonly id: string;
  readonly title: string;
  readonly checksum: string;
  readonly retentionDays: number | null;
  /** Why the module does not load; null when it does. */
  readonly error: string | null;
}

/**
 * `rowback list`: the restore modules, oldest first, like migrations. A module that does not load is
 * listed with its error (it must not hide the others), and the exit code is then 2.
 */
export async function listCommand(
  flags: { readonly restores?: string; readonly json?: boolean },
  io: CliIo,
): Promise<number> {
  const dir = restoresDir(flags, io);
  const modules: ListedModule[] = [];
  for (const entry of await listModules(dir)) {
    try {
      const { restore, checksum } = await loadModule(dir, entry.id);
      modules.push({
        id: entry.id,
        title: restore.title,
        checksum,
        retentionDays: restore.retention.days,
        error: null,
      });
    } catch (error) {
      modules.push({
        id: entry.id,
        title: '',
        checksum: '',
        retentionDays: null,
        error: (error as Error).message,
      });
    }
  }
  if (flags.json) io.stdout.write(`${JSON.stringify({ restoresDir: dir, modules }, null, 2)}\n`);
  else if (modules.length === 0)
    io.stdout.write(`No restore modules in ${dir}. Create one with: rowback new <slug>\n`);
  else {
    const rows = modules.map((m) =>
      m.error
        ? [m.id, `BROKEN: ${m.error}`, '', '']
        : [m.id, m.title, m.checksum.slice(0, 12), `${m.retentionDays} d`],
    );
    io.stdout.write(`${table(['id', 'title', 'checksum', 'retention'], rows)}\n`);
  }
  return modules.some((m) => m.error) ? EXIT.usage : EXIT.ok;
}
