import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runReportJsonSchema } from 'rowback';
import { describe, expect, it } from 'vitest';

const file = join(import.meta.dirname, '../../docs/run-report.schema.json');

describe('the published JSON Schema of run reports', () => {
  it('is the one the code validates with (regenerate: ROWBACK_UPDATE_DOCS=1 npx vitest run test/unit/report-schema.test.ts)', async () => {
    const current = `${JSON.stringify(runReportJsonSchema(), null, 2)}\n`;
    if (process.env.ROWBACK_UPDATE_DOCS) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, current);
    }
    // Compared as data: a formatter may lay the file out differently without changing it.
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(JSON.parse(current));
  });
});
