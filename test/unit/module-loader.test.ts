import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listModules, loadModule, moduleChecksum } from '../../src/runner/module-loader.ts';

// Inside the repository (git-ignored), so the modules can import 'rowback' like real ones do.
const dir = join(import.meta.dirname, '../../.rowback-tmp/module-loader-test');

const moduleSource = (id: string, title = 'A test module') => `import { defineRestore } from 'rowback';
import { z } from 'zod';
export default defineRestore({ id: '${id}', title: '${title}', params: z.object({}), async run() {} });
`;

beforeAll(async () => {
  await rm(dir, { recursive: true, force: true });
  for (const id of ['20261127-second', '20261126-first']) {
    await mkdir(join(dir, id), { recursive: true });
    await writeFile(join(dir, id, 'index.ts'), moduleSource(id));
  }
  await mkdir(join(dir, '20261128-wrong-id'), { recursive: true });
  await writeFile(join(dir, '20261128-wrong-id', 'index.ts'), moduleSource('20261128-other'));
  await mkdir(join(dir, 'not-a-module'), { recursive: true });
  await mkdir(join(dir, '20261129-syntax-error'), { recursive: true });
  await writeFile(join(dir, '20261129-syntax-error', 'index.ts'), 'export default defineRestore({ id: ;\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('module loading', () => {
  it('lists YYYYMMDD-slug folders in id order', async () => {
    expect((await listModules(dir)).map((m) => m.id)).toEqual([
      '20261126-first',
      '20261127-second',
      '20261128-wrong-id',
      '20261129-syntax-error',
    ]);
  });

  it('imports a TypeScript module without a build step', async () => {
    const loaded = await loadModule(dir, '20261126-first');
    expect(loaded.restore.title).toBe('A test module');
    expect(loaded.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a module whose id is not its folder name, and names unknown modules', async () => {
    await expect(loadModule(dir, '20261128-wrong-id')).rejects.toThrow(/declares id "20261128-other"/);
    await expect(loadModule(dir, '20261130-missing')).rejects.toThrow(/known modules: 20261126-first/);
    await expect(loadModule(dir, '20261129-syntax-error')).rejects.toThrow(
      /cannot load restore module .*20261129-syntax-error\/index\.ts/,
    );
  });

  it('checksums source files but not the rendered README or tests', async () => {
    const moduleDir = join(dir, '20261127-second');
    const before = await moduleChecksum(moduleDir);
    await writeFile(join(moduleDir, 'README.md'), '# rendered');
    await writeFile(join(moduleDir, 'index.test.ts'), '// test');
    expect(await moduleChecksum(moduleDir)).toBe(before);
    await writeFile(join(moduleDir, 'index.ts'), moduleSource('20261127-second', 'changed'));
    expect(await moduleChecksum(moduleDir)).not.toBe(before);
  });
});
