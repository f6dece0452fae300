import {
  apply,
  defineRestore,
  fromMysqldump,
  fromMysqlShellDump,
  fromSchema,
  fromServer,
  isErrorNamed,
  plan,
  type Target,
  undo,
  validateParams,
} from 'rowback';
import { describe, expect, it } from 'vitest';

/**
 * Issue 13, item 1: plain mistakes at the public entry points that need no server are `UsageError`s
 * naming the option and showing the right call, never a raw TypeError. (The calls a module makes on
 * `r` and `tx` are in test/integration/api-usage-errors.test.ts; the fuzz test in
 * test/integration/api-fuzz.test.ts throws generated arguments at all of them.)
 */

/** Calls `f` and returns what it threw (or rejected with). */
async function thrown(f: () => unknown): Promise<Error> {
  try {
    await f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}

async function expectUsage(f: () => unknown, pattern: RegExp): Promise<Error> {
  const error = await thrown(f);
  expect(error.name).toBe('UsageError');
  expect(isErrorNamed(error, 'UsageError')).toBe(true);
  expect(error.message).toMatch(pattern);
  return error;
}

const noParams = defineRestore({ id: '20261204-no-params', title: 'No params', async run() {} });
/** Shaped like a Target to get past the argument check; any use of its connection would throw. */
const fakeTarget = {
  db: {
    withSchema() {
      throw new Error('the fake target was used');
    },
  },
  server: { flavour: 'mariadb' },
  description: 'fake',
} as unknown as Target;

describe('defineRestore', () => {
  it('takes a module without params as one with no params, and refuses any param given', async () => {
    expect(await validateParams(noParams, {})).toEqual({});
    expect(await validateParams(noParams, undefined)).toEqual({});
    await expectUsage(
      () => validateParams(noParams, { batch: 'b1' }),
      /param 'batch' is not a param of 20261204-no-params/,
    );
  });

  it.each([
    [{ title: 'x', async run() {} }, /option 'id'/],
    [{ id: 20261204, title: 'x', async run() {} }, /option 'id' must be a string YYYYMMDD-slug/],
    [{ id: '20261204-x', async run() {} }, /option 'title' must be a non-empty title, found nothing/],
    [{ id: '20261204-x', title: 'x' }, /option 'run' must be an async function run\(r, params\)/],
    [{ id: '20261204-x', title: 'x', run: 'no', params: {} }, /option 'params' must be a Standard Schema/],
    [{ id: '20261204-x', title: 'x', async run() {}, retention: { days: -1 } }, /option 'retention.days'/],
    [
      { id: '20261204-x', title: 'x', async run() {}, runbook: { decisions: 'one' } },
      /option 'runbook.decisions'/,
    ],
  ])('refuses a bad definition %#', async (definition, pattern) => {
    const error = await expectUsage(() => defineRestore(definition as never), pattern);
    expect(error.message).toContain('defineRestore(definition)');
    expect((error as { hint?: string }).hint).toMatch(/^write it as defineRestore\(\{ id:/);
  });

  it('refuses no definition at all', async () => {
    await expectUsage(() => defineRestore(undefined as never), /argument 'definition' must be an object/);
  });
});

describe('plan, apply and undo', () => {
  it('apply without options asks for a confirmation instead of reading a missing object', async () => {
    const error = await expectUsage(
      () => apply(fakeTarget, noParams, {}, undefined as never),
      /option 'confirm' must be true or a confirm callback, found nothing/,
    );
    expect(error.message).toMatch(/pass \{ confirm: true \} or a confirm callback/);
  });

  it('undo without options, and with {}, says how to confirm', async () => {
    for (const options of [undefined, {}]) {
      await expectUsage(
        () => undo(fakeTarget, '1', options as never),
        /undo\(target, runId, options\): option 'confirm' must be true or a confirm callback.*pass \{ confirm: true \} or a confirm callback/,
      );
    }
  });

  it('names a missing target, module or run id', async () => {
    await expectUsage(
      () => plan(undefined as never, noParams, {}),
      /argument 'target' must be a target from connect/,
    );
    await expectUsage(() => plan(fakeTarget, {} as never, {}), /argument 'restore' must be a restore module/);
    await expectUsage(() => undo(fakeTarget, '' as never, { confirm: true }), /argument 'runId'/);
    await expectUsage(
      () => plan(fakeTarget, noParams, {}, { heartbeatMs: -5 }),
      /option 'heartbeatMs' must be a number of ms > 0, found number -5/,
    );
  });
});

describe('sources', () => {
  it.each([
    ['fromMysqldump', () => fromMysqldump('/tmp/x.sql', undefined as never)],
    ['fromMysqlShellDump', () => fromMysqlShellDump('/tmp/x', undefined as never)],
    ['fromSchema', () => fromSchema('s', undefined as never)],
    ['fromServer', () => fromServer('mysql://u@h/s', undefined as never)],
  ])('%s without options names them', async (call, f) => {
    const error = await expectUsage(f, /argument 'options' must be an options object \{/);
    expect(error.message.startsWith(call)).toBe(true);
  });

  it.each([
    ['fromMysqldump', () => fromMysqldump('/tmp/x.sql', {} as never)],
    ['fromMysqlShellDump', () => fromMysqlShellDump('/tmp/x', { tables: [] })],
    ['fromSchema', () => fromSchema('s', { tables: 'wp_users' as never })],
    ['fromServer', () => fromServer('mysql://u@h/s', { schema: 's', tables: [''] })],
  ])('%s without a usable tables list names option tables', async (_call, f) => {
    const error = await expectUsage(f, /option 'tables(\.0)?' must be a (non-empty table name|list of)/);
    expect((error as { hint?: string }).hint).toMatch(/tables: \[/);
  });

  it('accepts schema.table names, and refuses two schemas or a contradicting schema option', async () => {
    expect(fromMysqlShellDump('/tmp/x', { tables: ['world.City', 'world.Country'] }).kind).toBe('mysqlsh');
    expect(fromServer('mysql://u@h/s', { tables: ['world.City'] }).description).toContain('schema world');
    await expectUsage(
      () => fromMysqlShellDump('/tmp/x', { tables: ['world.City', 'sakila.actor'] }),
      /option 'tables' names tables of 2 schemas \(world, sakila\)/,
    );
    await expectUsage(
      () => fromMysqldump('/tmp/x.sql', { tables: ['world.City'], database: 'sakila' }),
      /option 'tables' names schema world but option 'database' is sakila/,
    );
    await expectUsage(
      () => fromSchema('restored', { tables: ['other.wp_users'] }),
      /names schema other but option 'schema' is restored/,
    );
    await expectUsage(() => fromServer('mysql://u@h/s', { tables: ['City'] }), /option 'schema' is missing/);
  });
});
