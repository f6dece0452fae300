import { describe, expect, it } from 'vitest';
import { processIo } from '../../src/cli/cli-io.ts';
import { buildProgram } from '../../src/cli/main.ts';

describe('rowback <command> --help', () => {
  const program = buildProgram(processIo(), () => {});
  const option = (name: string, long: string) =>
    program.commands.find((c) => c.name() === name)?.options.find((o) => o.long === long);
  const jsonHelp = (name: string) => option(name, '--json')?.description;

  it('promises the versioned run report schema only where a run report is printed', () => {
    for (const name of ['plan', 'apply', 'undo'])
      expect(jsonHelp(name), name).toMatch(/run report .*docs\/run-report\.schema\.json/);
    // status, list, gc, diff and extract print their own shapes, with no reportVersion.
    for (const name of ['status', 'list', 'gc', 'diff', 'extract'])
      expect(jsonHelp(name), name).not.toMatch(/versioned|schema/);
  });

  it('offers -q, --quiet on every command that reports progress, undo included', () => {
    for (const name of ['plan', 'apply', 'undo', 'extract'])
      expect(option(name, '--quiet')?.short, name).toBe('-q');
  });
});
