import { table } from '../../runner/markdown.ts';
import { listModules, loadModule } from '../../runner/module-loader.ts';
import type { CliIo } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { restoresDir } from '../options.ts';

/** `rowback list`: the restore modules, oldest first, like migrations. */
export async function listCommand(
  flags: { readonly restores?: string; readonly json?: boolean },
  io: CliIo,
): Promise<number> {
  const dir = restoresDir(flags, io);
  const modules = [];
  for (const entry of await listModules(dir)) {
    const loaded = await loadModule(dir, entry.id);
    modules.push({
      id: entry.id,
      title: loaded.restore.title,
      checksum: loaded.checksum,
      retentionDays: loaded.restore.retention.days,
    });
  }
  if (flags.json) io.stdout.write(`${JSON.stringify({ restoresDir: dir, modules }, null, 2)}\n`);
  else if (modules.length === 0)
    io.stdout.write(`No restore modules in ${dir}. Create one with: rowback new <slug>\n`);
  else
    io.stdout.write(
      `${table(
        ['id', 'title', 'checksum', 'retention'],
        modules.map((m) => [m.id, m.title, m.checksum.slice(0, 12), `${m.retentionDays} d`]),
      )}\n`,
    );
  return EXIT.ok;
}
