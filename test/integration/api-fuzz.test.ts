import {
  apply,
  type Backup,
  defineRestore,
  fromMysqldump,
  fromMysqlShellDump,
  fromSchema,
  fromServer,
  gc,
  isRowbackError,
  plan,
  type RestoreContext,
  renderRunbook,
  type Scope,
  sql,
  status,
  type Target,
  type TransactionContext,
  undo,
  validateParams,
} from 'rowback';
import { createSandbox, type Sandbox } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { prng } from '../support/prng.ts';

/**
 * Issue 13, item 3: a fuzz test of the API surface. Every public call a module or script makes gets
 * generated arguments — a valid call with one or two of its arguments or options removed or replaced
 * by a missing, wrong-typed or hostile value — and must end either in success or in a RowbackError,
 * never a TypeError/RangeError or a raw server error. A UsageError must name what was wrong: the
 * option or argument, or (for a name the server does not know) the name itself. Other RowbackErrors
 * (a gate a generated predicate closes, a manual step, an already applied module) are outcomes a
 * valid call can have. The r.* and tx.* calls run inside one plan, so every transaction is rolled
 * back; the live tables' checksums must be the same after all of it.
 *
 * Replay a failure with its seed: ROWBACK_API_FUZZ_SEED=<seed>; more calls: ROWBACK_API_FUZZ_CALLS.
 */
const SEED = Number(process.env.ROWBACK_API_FUZZ_SEED ?? 20261204);
const CALLS = Number(process.env.ROWBACK_API_FUZZ_CALLS ?? 1200);
/** Share of the calls made on r.* and tx.* inside the plan (each costs a few server round trips). */
const IN_RUN_SHARE = 0.4;

const polluted: unknown = JSON.parse('{"__proto__": {"polluted": true}, "tables": ["acct"]}');
const HOSTILE: readonly unknown[] = [
  undefined,
  null,
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53 + 2,
  10n,
  true,
  '',
  ' ',
  'acct',
  'x'.repeat(70),
  "'; DROP TABLE acct; --",
  '`acct`.`ID`',
  'a\u0000b',
  '🦆',
  'nope_col',
  [],
  [undefined],
  [null],
  [1, 2],
  [''],
  ['nope_col'],
  ['acct', 'acct'],
  {},
  { rows: -1 },
  { min: 3, max: 1 },
  { rows: 'x' },
  { row: 5 },
  polluted,
  Object.create(null),
  new Date(0),
  new Uint8Array(0),
  Symbol('s'),
  () => undefined,
  sql`SELECT 1`,
];

let box: Sandbox;
let backupSchema: string;
const LIVE = ['acct', 'acct_meta'] as const;

const numbers = (n: number) =>
  `WITH RECURSIVE n (seq) AS (SELECT 1 UNION ALL SELECT seq + 1 FROM n WHERE seq < ${n}) SELECT seq FROM n`;

beforeAll(async () => {
  box = await createSandbox({ url: inject('mysqlUrl') });
  backupSchema = box.schemaName('backup');
  await box.load({
    sql: `CREATE TABLE acct (ID INT PRIMARY KEY, email VARCHAR(100) NOT NULL, name VARCHAR(100) NOT NULL) ENGINE=InnoDB;
      CREATE TABLE acct_meta (meta_id INT PRIMARY KEY, acct_id INT NOT NULL, v VARCHAR(100),
        CONSTRAINT fk_fuzz_meta FOREIGN KEY (acct_id) REFERENCES acct (ID)) ENGINE=InnoDB;
      INSERT INTO acct SELECT seq, CONCAT('a', seq, '@example.org'), CONCAT('A ', seq) FROM (${numbers(30)}) s;
      INSERT INTO acct_meta SELECT seq, 1 + seq % 30, CONCAT('v', seq) FROM (${numbers(90)}) s;
      CREATE DATABASE \`${backupSchema}\`;
      CREATE TABLE \`${backupSchema}\`.acct LIKE acct;
      CREATE TABLE \`${backupSchema}\`.acct_meta LIKE acct_meta;
      INSERT INTO \`${backupSchema}\`.acct SELECT * FROM acct;
      INSERT INTO \`${backupSchema}\`.acct_meta SELECT * FROM acct_meta;
      UPDATE acct SET email = CONCAT('bad', ID) WHERE ID <= 5;`,
  });
}, 180_000);
afterAll(async () => box?.drop());

async function checksums(): Promise<string[]> {
  return Promise.all(LIVE.map((t) => box.checksum(t)));
}

/** What the calls of one place get to build valid arguments from. */
interface World {
  readonly target: Target;
  readonly r?: RestoreContext;
  readonly tx?: TransactionContext;
  readonly backup?: Backup;
  readonly users?: Scope;
}

type Args = Record<string, unknown>;

/** One public call: its valid arguments by name, and how to make it with (mutated) arguments. */
interface CallSpec {
  readonly name: string;
  readonly place: 'outside' | 'run' | 'tx';
  valid(w: World, n: number): Args;
  call(w: World, a: Args): unknown;
  /** Puts back what must not be fuzzed (the sandbox's own schemas) after a mutation. */
  pin?(a: Args): Args;
}

/**
 * The ledger and workspace schemas stay the sandbox's whatever the mutation: a run without them would
 * create `rowback` and `rb_<id>` on the test server, and a hostile name a schema of that name — the
 * test would touch schemas it does not own. (Schema names themselves are fuzzed in identifier-quoting.)
 */
function pinSchemas(a: Args): Args {
  const options = a.options;
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options)))
    return a;
  const pinned = { ...(options as Args | undefined), controlSchema: box.controlSchema };
  return { ...a, options: { ...pinned, workspaceSchema: box.workspaceSchema } };
}

const noop = defineRestore({ id: '20261204-fuzz-noop', title: 'fuzz noop', async run() {} });
const withParams = defineRestore({
  id: '20261204-fuzz-params',
  title: 'fuzz params',
  params: z.object({ batch: z.string() }),
  async run() {},
});

const OUTSIDE: readonly CallSpec[] = [
  {
    name: 'defineRestore',
    place: 'outside',
    valid: () => ({
      definition: {
        id: '20261204-fuzz-def',
        title: 'fuzz',
        params: z.object({}),
        retention: { days: 1 },
        runbook: { context: 'c', decisions: ['d'], references: ['r'] },
        run: async () => undefined,
      },
    }),
    call: (_w, a) => defineRestore(a.definition as never),
  },
  {
    name: 'validateParams',
    place: 'outside',
    valid: () => ({ params: { batch: 'b1' } }),
    call: (_w, a) => validateParams(withParams, a.params),
  },
  {
    name: 'fromMysqldump',
    place: 'outside',
    valid: () => ({
      input: '/tmp/fuzz.sql',
      options: {
        tables: ['acct'],
        database: 'db',
        rows: { acct: { column: 'ID', keys: [1] } },
        into: { acct: 'a' },
        method: 'insert',
      },
    }),
    call: (_w, a) => fromMysqldump(a.input as never, a.options as never),
  },
  {
    name: 'fromMysqlShellDump',
    place: 'outside',
    valid: () => ({
      dir: '/tmp/fuzz-dump',
      options: { tables: ['acct'], schema: 'db', allowIncomplete: false, method: 'load-data' },
    }),
    call: (_w, a) => fromMysqlShellDump(a.dir as never, a.options as never),
  },
  {
    name: 'fromSchema',
    place: 'outside',
    valid: () => ({ schema: 'backup', options: { tables: ['acct'], where: { acct: sql`ID > 1` } } }),
    call: (_w, a) => fromSchema(a.schema as never, a.options as never),
  },
  {
    name: 'fromServer',
    place: 'outside',
    valid: () => ({ url: 'mysql://fuzz@127.0.0.1:1/db', options: { schema: 'db', tables: ['acct'] } }),
    call: (_w, a) => fromServer(a.url as never, a.options as never),
  },
  {
    name: 'renderRunbook',
    place: 'outside',
    valid: () => ({ restore: noop, options: { report: null } }),
    call: (_w, a) => renderRunbook(a.restore as never, a.options as never),
  },
  {
    name: 'plan',
    place: 'outside',
    pin: pinSchemas,
    valid: (w) => ({
      target: w.target,
      restore: noop,
      params: {},
      options: {
        controlSchema: box.controlSchema,
        workspaceSchema: box.workspaceSchema,
        heartbeatMs: 60_000,
      },
    }),
    call: (_w, a) => plan(a.target as never, a.restore as never, a.params, a.options as never),
  },
  {
    name: 'apply',
    place: 'outside',
    pin: pinSchemas,
    valid: (w) => ({
      target: w.target,
      restore: noop,
      params: {},
      options: {
        confirm: true,
        force: true,
        controlSchema: box.controlSchema,
        workspaceSchema: box.workspaceSchema,
        heartbeatMs: 60_000,
      },
    }),
    call: (_w, a) => apply(a.target as never, a.restore as never, a.params, a.options as never),
  },
  {
    name: 'undo',
    place: 'outside',
    pin: pinSchemas,
    valid: (w) => ({
      target: w.target,
      runId: '999999',
      options: { confirm: true, controlSchema: box.controlSchema },
    }),
    call: (_w, a) => undo(a.target as never, a.runId as never, a.options as never),
  },
  {
    name: 'status',
    place: 'outside',
    pin: pinSchemas,
    valid: (w) => ({
      target: w.target,
      options: { controlSchema: box.controlSchema, moduleId: noop.id, limit: 5 },
    }),
    call: (_w, a) => status(a.target as never, a.options as never),
  },
  {
    name: 'gc',
    place: 'outside',
    pin: pinSchemas,
    valid: (w) => ({ target: w.target, options: { controlSchema: box.controlSchema, dryRun: true } }),
    call: (_w, a) => gc(a.target as never, a.options as never),
  },
];

const IN_RUN: readonly CallSpec[] = [
  {
    name: 'r.live',
    place: 'run',
    valid: () => ({ table: 'acct' }),
    call: (w, a) => w.r!.live(a.table as never),
  },
  {
    name: 'r.extract',
    place: 'run',
    valid: (_w, n) => ({ name: `x${n}`, source: fromSchema(backupSchema, { tables: ['acct'] }) }),
    call: (w, a) => w.r!.extract(a.name as never, a.source as never),
  },
  {
    name: 'r.scope',
    place: 'run',
    valid: (_w, n) => ({
      name: `s${n}`,
      query: sql`SELECT ID FROM acct WHERE ID <= 5`,
      options: { key: ['ID'], expect: { min: 1, max: 10 }, keyFrom: 'acct' },
    }),
    call: (w, a) => w.r!.scope(a.name as never, a.query as never, a.options as never),
  },
  {
    name: 'r.snapshot',
    place: 'run',
    valid: (w, n) => ({
      name: `snap${n}`,
      tables: ['acct', 'acct_meta'],
      options: { scope: w.users, on: { acct_meta: 'acct_id' } },
    }),
    call: (w, a) => w.r!.snapshot(a.name as never, a.tables as never, a.options as never),
  },
  {
    name: 'r.transaction',
    place: 'run',
    valid: (w, n) => ({
      name: `t${n}`,
      fn: async () => undefined,
      options: { chunk: { scope: w.users, size: 2 }, maxBytes: 1e9 },
    }),
    call: (w, a) => w.r!.transaction(a.name as never, a.fn as never, a.options as never),
  },
  {
    name: 'r.manual',
    place: 'run',
    valid: (_w, n) => ({ name: `m${n}`, instructions: 'do it' }),
    call: (w, a) => w.r!.manual(a.name as never, a.instructions as never),
  },
  {
    name: 'r.verify',
    place: 'run',
    valid: (_w, n) => ({
      name: `v${n}`,
      check: sql`SELECT ID FROM acct WHERE ID < 0`,
      options: { expect: { rows: 0 } },
    }),
    call: (w, a) => w.r!.verify(a.name as never, a.check as never, a.options as never),
  },
];

const IN_TX: readonly CallSpec[] = [
  {
    name: 'tx.purge',
    place: 'tx',
    valid: () => ({ table: 'acct_meta', options: { where: sql`acct_id < 0`, expect: { rows: 0 } } }),
    call: (w, a) => w.tx!.purge(a.table as never, a.options as never),
  },
  {
    name: 'tx.replaceRows',
    place: 'tx',
    valid: (w) => ({
      table: 'acct',
      options: { from: w.backup!.table('acct'), scope: w.users, expect: { max: 5 }, allowList: ['email'] },
    }),
    call: (w, a) => w.tx!.replaceRows(a.table as never, a.options as never),
  },
  {
    name: 'tx.upsertColumns',
    place: 'tx',
    valid: (w) => ({
      table: 'acct',
      options: {
        from: w.backup!.table('acct'),
        scope: w.users,
        columns: ['email'],
        on: 'ID',
        insertMissing: false,
      },
    }),
    call: (w, a) => w.tx!.upsertColumns(a.table as never, a.options as never),
  },
  {
    name: 'tx.replaceChildren',
    place: 'tx',
    valid: (w) => ({
      table: 'acct_meta',
      options: { from: w.backup!.table('acct_meta'), parentKey: 'acct_id', scope: w.users, ignore: ['v'] },
    }),
    call: (w, a) => w.tx!.replaceChildren(a.table as never, a.options as never),
  },
  {
    name: 'tx.verify',
    place: 'tx',
    valid: (w, n) => ({
      name: `tv${n}`,
      check: w.tx!.diff('acct', w.backup!.table('acct'), { scope: w.users! }),
      options: { expect: { min: 0 } },
    }),
    call: (w, a) => w.tx!.verify(a.name as never, a.check as never, a.options as never),
  },
  {
    name: 'tx.diff',
    place: 'tx',
    valid: (w) => ({
      table: 'acct',
      backup: w.backup!.table('acct'),
      options: { scope: w.users, columns: ['email'], key: 'ID' },
    }),
    call: (w, a) => w.tx!.diff(a.table as never, a.backup as never, a.options as never),
  },
];

/**
 * Paths a mutation can hit: each argument, and each key of a plain-object argument (one level down).
 * A target is replaced whole, never taken apart: it is an open connection handle from `connect`.
 */
function pathsOf(args: Args): string[][] {
  const paths: string[][] = [];
  for (const [key, value] of Object.entries(args)) {
    paths.push([key]);
    if (key === 'target') continue;
    if (
      value &&
      typeof value === 'object' &&
      Object.getPrototypeOf(value) === Object.prototype &&
      !('isRawBuilder' in value)
    ) {
      for (const inner of Object.keys(value)) paths.push([key, inner]);
    }
  }
  return paths;
}

function mutate(args: Args, path: readonly string[], value: unknown, remove: boolean): Args {
  const [head, inner] = path as [string, string | undefined];
  const copy: Args = { ...args };
  if (inner === undefined) {
    if (remove) delete copy[head];
    else copy[head] = value;
    return copy;
  }
  const nested = { ...(copy[head] as Args) };
  if (remove) delete nested[inner];
  else nested[inner] = value;
  copy[head] = nested;
  return copy;
}

interface Outcome {
  readonly call: string;
  /** The message the unmutated call fails with, if it fails (e.g. undo of a run that is not there). */
  readonly baseline: string | null;
  readonly mutations: string;
  readonly names: readonly string[];
  readonly paths: readonly (readonly string[])[];
  readonly values: readonly unknown[];
  readonly error: unknown;
}

function describe_(value: unknown): string {
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'fn';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** Makes `count` generated calls of `specs` in world `w`, from `rand`. */
async function fuzz(
  specs: readonly CallSpec[],
  w: World,
  count: number,
  rand: () => number,
): Promise<Outcome[]> {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const outcomes: Outcome[] = [];
  const baselines = new Map<string, string | null>();
  for (let n = 0; n < count; n++) {
    const spec = pick(specs);
    if (spec.place === 'outside' && !baselines.has(spec.name)) {
      try {
        await spec.call(w, spec.valid(w, n));
        baselines.set(spec.name, null);
      } catch (caught) {
        baselines.set(spec.name, (caught as Error).message);
      }
    }
    let args = spec.valid(w, n);
    const paths = pathsOf(args);
    const hits = rand() < 0.2 ? 2 : 1;
    const names: string[] = [];
    const hit: string[][] = [];
    const values: unknown[] = [];
    const told: string[] = [];
    for (let h = 0; h < hits; h++) {
      const path = pick(paths);
      const remove = rand() < 0.25;
      const value = remove ? undefined : pick(HOSTILE);
      args = mutate(args, path, value, remove);
      names.push(...path);
      hit.push(path);
      values.push(value);
      told.push(`${path.join('.')}=${remove ? '(removed)' : describe_(value)}`);
    }
    if (spec.pin) args = spec.pin(args);
    let error: unknown = null;
    try {
      await spec.call(w, args);
    } catch (caught) {
      error = caught;
    }
    outcomes.push({
      call: spec.name,
      baseline: baselines.get(spec.name) ?? null,
      mutations: told.join(', '),
      names,
      paths: hit,
      values,
      error,
    });
  }
  return outcomes;
}

/**
 * What is wrong with an outcome, or null: only RowbackErrors; a refused argument (a UsageError from
 * the argument check, which says which call it checked) names the option or argument that was wrong.
 * Other UsageErrors come from what the server holds (no such run, table or ledger) for a call whose
 * arguments were fine; a name the server does not know is then named itself.
 */
function problem(o: Outcome): string | null {
  if (o.error === null) return null;
  const e = o.error as Error;
  if (!isRowbackError(e)) return `${o.call}(${o.mutations}) threw ${e?.name}: ${e?.message}`;
  if (e.name !== 'UsageError' || e.message === o.baseline) return null;
  const checked = typeof e.facts.call === 'string';
  // `'tables'`, or an entry of it (`'tables.0'`); a whole options object replaced: any option in it.
  const namesOption =
    o.names.some((name) => e.message.includes(`'${name}'`) || e.message.includes(`'${name}.`)) ||
    (o.paths.some((p) => p.length === 1) && /\b(option|argument|param) '/.test(e.message));
  const namesValue = o.values.some(
    (v) =>
      typeof v === 'string' &&
      v !== '' &&
      ((v.trim() !== '' && e.message.includes(v)) || e.message.includes(JSON.stringify(v))),
  );
  if (checked ? namesOption : namesOption || namesValue || !o.values.some((v) => typeof v === 'string'))
    return null;
  return `${o.call}(${o.mutations}): the UsageError names none of ${o.names.join(', ')}: ${e.message}`;
}

describe('API fuzz', () => {
  it(`${CALLS} generated calls of every public function end in success or a RowbackError naming the option; live data unchanged`, async () => {
    console.log(`api-fuzz: seed ${SEED}, ${CALLS} calls`);
    const rand = prng(SEED);
    // The ledger exists from the start, so the unmutated calls fail (undo of a run that is not there)
    // or pass the same way throughout the test.
    expect((await box.plan(noop, {})).status).toBe('done');
    const before = await checksums();
    const target = box.target;
    const inRun = Math.round(CALLS * IN_RUN_SHARE);
    const outcomes = await fuzz(OUTSIDE, { target }, CALLS - inRun, rand);

    // r.* and tx.* inside one plan: every transaction runs for real and is rolled back.
    let inside: Outcome[] = [];
    const fuzzModule = defineRestore({
      id: '20261204-fuzz-run',
      title: 'API fuzz',
      async run(r) {
        const backup = await r.extract('backup', fromSchema(backupSchema, { tables: ['acct', 'acct_meta'] }));
        const users = await r.scope('users', sql`SELECT ID FROM acct WHERE email LIKE 'bad%'`, { key: 'ID' });
        const world = { target, r, backup, users };
        inside = await fuzz(IN_RUN, world, Math.round(inRun / 2), rand);
        await r.transaction('fuzz-tx', async (tx) => {
          inside.push(...(await fuzz(IN_TX, { ...world, tx }, inRun - Math.round(inRun / 2), rand)));
        });
      },
    });
    const report = await box.plan(fuzzModule, {});
    expect(report.error).toBeNull();
    outcomes.push(...inside);

    const problems = outcomes.map(problem).filter((p): p is string => p !== null);
    expect(problems.slice(0, 20)).toEqual([]);
    expect(outcomes.length).toBe(CALLS);
    // Every public function was called, and most calls were refused (the generator is not too tame).
    const called = new Set(outcomes.map((o) => o.call));
    for (const spec of [...OUTSIDE, ...IN_RUN, ...IN_TX]) expect(called).toContain(spec.name);
    const refused = outcomes.filter((o) => (o.error as Error | null)?.name === 'UsageError').length;
    expect(refused).toBeGreaterThan(CALLS / 2);
    expect(await checksums()).toEqual(before);
  }, 300_000);
});
