import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'rowback';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli } from '../support/run-cli.ts';
import { createRig, MODULE_ID, moduleSource, type Rig } from './harness.ts';

/**
 * Issue 7, case 4 (params and identifiers): params failing validation are usage errors (exit 2) that
 * name the param; param values, step names and schema names full of quotes, backticks, `;`, NUL and
 * unicode are data, never SQL. (Live table and column names of that kind: test/integration/
 * identifier-quoting.test.ts creates, writes and reads 1,000 generated names.)
 */
const HOSTILE = [
  "'; DROP TABLE wp_users; --",
  '`; DROP TABLE wp_users; -- \\ " OR 1=1 %s ? :name $1',
  'nul\u0000byte\n\r\t',
  '🦆 ünïcödé \u202ertl\u202c 中文',
];
const STEPS_ID = '20261126-reliability-names';
/** The reliability module with every step renamed to something hostile. */
const hostileSteps = (id: string) => {
  const names = {
    backup: "back`up'; DROP TABLE wp_users; --",
    'damaged-users': 'scöpe 👀 "x"',
    before: 'snap;shot\\',
    restore: 'tx `x` ; DELETE FROM wp_users',
    'no damaged user left': 'vérify\u0000nul',
  };
  let source = moduleSource(id);
  for (const [plain, hostile] of Object.entries(names)) {
    source = source.replace(`'${plain}'`, JSON.stringify(hostile));
  }
  return source;
};

let rig: Rig;

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') }, 300);
  // The scope query takes the `note` param as a value: it must match nothing and break nothing.
  await rig.writeModule(
    MODULE_ID,
    moduleSource(MODULE_ID).replace(
      'WHERE NOT (l.user_email <=> b.user_email)`,\n      { key',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the module's own source text, a placeholder of its sql``
      'WHERE NOT (l.user_email <=> b.user_email) AND l.user_login <> ${p.note}`,\n      { key',
    ),
  );
  await rig.writeModule(STEPS_ID, hostileSteps(STEPS_ID));
}, 180_000);

afterAll(async () => {
  await rig?.drop();
});

beforeEach(async () => {
  await rig.reset();
});

async function liveTables(): Promise<string[]> {
  const r = await sql<{ name: string }>`
    SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = ${rig.box.schema} ORDER BY 1`.execute(
    rig.box.target.db,
  );
  return r.rows.map((row) => row.name);
}

describe('hostile params and identifiers', () => {
  it('params failing validation are usage errors naming the param', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--param', 'backup='], {}, /param 'backup'/],
      [[], { ROWBACK_PARAM_backup: '' }, /param 'backup'/],
      [['--param', 'note'], {}, /--param "note" is not name=value/],
      [['--param', '=x'], {}, /is not name=value/],
    ];
    const paramsFile = join(rig.restoresDir, 'bad-params.json');
    await writeFile(paramsFile, JSON.stringify({ backup: rig.dumpFile, note: 42 }));
    cases.push([['--params', paramsFile], {}, /param 'note'/]);
    const arrayFile = join(rig.restoresDir, 'array-params.json');
    await writeFile(arrayFile, '[1, 2]');
    cases.push([['--params', arrayFile], {}, /must hold a JSON object/]);
    const brokenFile = join(rig.restoresDir, 'broken-params.json');
    await writeFile(brokenFile, '{"backup": ');
    cases.push([['--params', brokenFile], {}, /cannot read params file/]);
    for (const [args, env, message] of cases) {
      // One apply: plan and apply read params through the same code.
      for (const verb of message.source.includes('backup') && args[0] === '--param'
        ? ['plan', 'apply']
        : ['plan']) {
        const out = await runCli(
          [verb, MODULE_ID, ...rig.common(), ...args, ...(verb === 'apply' ? ['--yes'] : [])],
          {
            env: { ...rig.env, ...env },
          },
        );
        expect(out.code, `${verb} ${args.join(' ')}: ${out.stderr}`).toBe(2);
        expect(out.stderr).toMatch(message);
      }
    }
    for (const id of ['../../etc/passwd', "20261126-x'; DROP TABLE wp_users; --", '`']) {
      const out = await runCli(['plan', id, ...rig.common()], { env: rig.env });
      expect(out.code, out.stderr).toBe(2);
    }
    expect(await rig.liveState()).toBe(rig.damaged);
  });

  it('param values with quotes, backticks, ;, NUL and unicode are values, never SQL', async () => {
    const tables = await liveTables();
    for (const [i, note] of HOSTILE.entries()) {
      const file = join(rig.restoresDir, `params-${i}.json`);
      await writeFile(file, JSON.stringify({ backup: rig.dumpFile, note }));
      const out = await runCli(['plan', MODULE_ID, ...rig.common(), '--params', file, '--json'], {
        env: rig.env,
      });
      expect(out.code, `${JSON.stringify(note)}: ${out.stderr}`).toBe(0);
      const report = JSON.parse(out.stdout);
      expect(report.params.note).toBe(note);
      expect(report.steps.find((s: { name: string }) => s.name === 'damaged-users').rows).toBe(rig.users);
    }
    expect(await liveTables()).toEqual(tables);
    expect(await rig.liveState()).toBe(rig.damaged);
  });

  it('step names with quotes, backticks, ;, NUL and unicode: apply and undo work, nothing else is touched', async () => {
    const tables = await liveTables();
    const applied = await runCli(['apply', STEPS_ID, ...rig.common(), '--yes', '--json'], { env: rig.env });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
    const report = JSON.parse(applied.stdout);
    expect(report.steps.map((s: { name: string }) => s.name)).toContain('tx `x` ; DELETE FROM wp_users');
    const undone = await runCli(['undo', report.runId, '--control-schema', rig.box.controlSchema, '--yes'], {
      env: rig.env,
    });
    expect(undone.code, undone.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.damaged);
    expect(await liveTables()).toEqual(tables);
  });

  it('control and workspace schema names with backticks, quotes and ; are refused or quoted, never run', async () => {
    const tables = await liveTables();
    for (const name of ['rb`x; DROP DATABASE y', "rb'x", 'rb;x', 'rb x']) {
      for (const flag of ['--workspace', '--control-schema']) {
        const args =
          flag === '--workspace'
            ? ['plan', MODULE_ID, '--control-schema', rig.box.controlSchema, '--workspace', name]
            : ['status', '--control-schema', name];
        const out = await runCli(args, { env: rig.env });
        // Either a usage error before any SQL, or it worked with the name quoted as an identifier.
        expect([0, 2], `${flag} ${name}: ${out.stderr}`).toContain(out.code);
        if (out.code === 0) {
          await rig.box.load({ sql: `DROP DATABASE IF EXISTS \`${name.replaceAll('`', '``')}\`` });
        } else {
          expect(out.stderr).toMatch(/^rowback: /m);
        }
      }
    }
    expect(await liveTables()).toEqual(tables);
    expect(await rig.liveState()).toBe(rig.damaged);
  });
});
