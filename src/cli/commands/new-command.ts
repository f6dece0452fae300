import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { UsageError } from '../../errors/index.ts';
import { MODULE_ID_PATTERN } from '../../runner/define-restore.ts';
import { type CliIo, writeLine } from '../cli-io.ts';
import { EXIT } from '../exit-codes.ts';
import { restoresDir } from '../options.ts';
import { moduleTemplate, moduleTestTemplate } from './new-module-template.ts';

/** `rowback new <slug>`: scaffolds `restores/<today>-<slug>/index.ts` and a test that passes as generated. */
export async function newCommand(
  slug: string,
  flags: { readonly restores?: string; readonly date?: string },
  io: CliIo,
): Promise<number> {
  const date = flags.date ?? new Date().toISOString().slice(0, 10).replaceAll('-', '');
  const id = `${date}-${slug}`;
  if (!MODULE_ID_PATTERN.test(id)) {
    throw new UsageError(`${JSON.stringify(slug)} does not make a module id (${id})`, {
      hint: 'use lowercase letters, digits and dashes, e.g. `rowback new fix-user-emails`',
    });
  }
  const dir = join(restoresDir(flags, io), id);
  if (existsSync(dir))
    throw new UsageError(`${relative(io.cwd, dir)} exists already; module ids are never reused`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'index.ts'), moduleTemplate(id));
  await writeFile(join(dir, 'index.test.ts'), moduleTestTemplate(id));
  writeLine(io.stdout, `Created ${relative(io.cwd, join(dir, 'index.ts'))} and index.test.ts.`);
  writeLine(
    io.stdout,
    'Next: edit the scope query and the writes, run the test (npx vitest run <folder>), then `rowback plan`.',
  );
  return EXIT.ok;
}
