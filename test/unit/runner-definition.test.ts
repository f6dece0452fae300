import { defineRestore, renderRunbook, UsageError, validateParams } from 'rowback';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { redactParams } from '../../src/runner/params-record.ts';

const restore = defineRestore({
  id: '20261126-fix-emails',
  title: 'Put back overwritten e-mails',
  params: z.object({ batch: z.string().min(1), limit: z.coerce.number().int().positive().default(10) }),
  runbook: {
    context: 'An import overwrote e-mails.',
    decisions: ['Allow-list only user_email.'],
    references: ['TICKET-1'],
  },
  async run() {},
});

describe('defineRestore', () => {
  it('defaults retention to 30 days and freezes the definition', () => {
    expect(restore.retention).toEqual({ days: 30 });
    expect(Object.isFrozen(restore)).toBe(true);
  });

  it.each(['fix-emails', '2026-11-26-x', '20261126-Fix', '20261126-'])('rejects the id %j', (id) => {
    expect(() => defineRestore({ ...restore, id })).toThrow(/YYYYMMDD-slug/);
  });

  it('validates params with the module schema, coercing CLI strings', async () => {
    expect(await validateParams(restore, { batch: 'b1', limit: '5' })).toEqual({ batch: 'b1', limit: 5 });
  });

  it('refuses a misspelled or unknown param instead of falling back to its default', async () => {
    const attempt = validateParams(restore, { batch: 'b1', limt: '5', bogus: '1' });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(
      /param 'limt' is not a param of 20261126-fix-emails \(did you mean 'limit'\?\); param 'bogus' is not a param/,
    );
  });

  it('names every bad param in a UsageError', async () => {
    const attempt = validateParams(restore, { limit: '-1' });
    await expect(attempt).rejects.toThrow(UsageError);
    await expect(attempt).rejects.toThrow(/param 'batch'.*param 'limit'/);
  });
});

describe('params in the ledger', () => {
  it('masks secret-looking params and URL passwords', () => {
    expect(
      redactParams({
        password: 'hunter2',
        apiToken: 'abc',
        backup: 'mysql://u:pw@db/wp',
        nested: { secret: 's', n: 1 },
      }),
    ).toEqual({
      password: '***',
      apiToken: '***',
      backup: 'mysql://u:***@db/wp',
      nested: { secret: '***', n: 1 },
    });
  });
});

describe('renderRunbook', () => {
  it('has the six sections, with module text and without run-specific noise', () => {
    const text = renderRunbook(restore);
    for (const section of [
      '## Context',
      '## Scope',
      '## Execution',
      '## Decisions',
      '## Retention',
      '## References',
    ]) {
      expect(text).toContain(section);
    }
    expect(text).toContain('An import overwrote e-mails.');
    expect(text).toContain('- Allow-list only user_email.');
    expect(text).toContain('30 day(s)');
    expect(text).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  });
});
