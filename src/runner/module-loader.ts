import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors/index.ts';
import { MODULE_ID_PATTERN, type RestoreModule } from './define-restore.ts';

/** A restore module found on disk, before it is imported. */
export interface ModuleEntry {
  readonly id: string;
  readonly dir: string;
  readonly entry: string;
}

/** A module imported and checked, with the checksum of its source files. */
export interface LoadedModule {
  readonly entry: ModuleEntry;
  readonly restore: RestoreModule;
  readonly checksum: string;
}

/** Lists `restores/<YYYYMMDD>-<slug>/index.ts` folders, sorted by id (so by date, like migrations). */
export async function listModules(restoresDir: string): Promise<ModuleEntry[]> {
  if (!existsSync(restoresDir)) return [];
  const names = (await readdir(restoresDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && MODULE_ID_PATTERN.test(d.name))
    .map((d) => d.name)
    .sort();
  return names
    .map((id) => ({ id, dir: join(restoresDir, id), entry: join(restoresDir, id, 'index.ts') }))
    .filter((m) => existsSync(m.entry));
}

/**
 * sha256 over the module's source files (names and bytes), except its rendered README.md and its
 * tests, which do not change what the module does.
 */
export async function moduleChecksum(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const files = (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((d) => d.isFile() && !/(^|\/)README\.md$/.test(d.name) && !/\.test\.[cm]?[jt]s$/.test(d.name))
    .map((d) => join(d.parentPath, d.name))
    .sort();
  for (const file of files) {
    hash
      .update(relative(dir, file))
      .update('\0')
      .update(await readFile(file))
      .update('\0');
  }
  return hash.digest('hex');
}

/** Imports a module file; a failure names the file and says what usually fixes it. */
async function importModule(file: string): Promise<{ default?: RestoreModule }> {
  try {
    return (await import(pathToFileURL(file).href)) as { default?: RestoreModule };
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const hint = /Cannot find (package|module) 'rowback/.test(message)
      ? 'install rowback (and the params validator, e.g. zod) in the project that holds restores/; its package.json needs "type": "module"'
      : /NODE_MODULES_TYPE_STRIPPING/.test(message)
        ? 'Node does not strip types under node_modules: keep restore modules in your own project folder'
        : 'fix the module, then run `rowback list` to check it loads';
    throw new UsageError(`cannot load restore module ${file}: ${message}`, { cause, hint });
  }
}

/**
 * Imports `restores/<id>/index.ts` (Node strips the types; no build step) and checks that its default
 * export is a `defineRestore` result whose id equals the folder name.
 */
export async function loadModule(restoresDir: string, id: string): Promise<LoadedModule> {
  const entry = (await listModules(restoresDir)).find((m) => m.id === id);
  if (!entry) {
    const known = (await listModules(restoresDir)).map((m) => m.id);
    throw new UsageError(`no restore module ${JSON.stringify(id)} in ${restoresDir}`, {
      hint: known.length ? `known modules: ${known.join(', ')}` : 'create one with `rowback new <slug>`',
    });
  }
  const imported = await importModule(entry.entry);
  const restore = imported.default;
  if (!restore || typeof restore.run !== 'function' || typeof restore.id !== 'string') {
    throw new UsageError(`${entry.entry} does not export default defineRestore({...})`);
  }
  if (restore.id !== id) {
    throw new UsageError(`module in folder ${id} declares id ${JSON.stringify(restore.id)}`, {
      hint: 'the id must equal the folder name',
    });
  }
  return Object.freeze({ entry, restore, checksum: await moduleChecksum(entry.dir) });
}
