import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatConnectionUrl, parseConnectionUrl } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliResult, runCli } from '../support/run-cli.ts';
import { createRig, ledgerText, MODULE_ID, moduleSource, type Rig } from './harness.ts';

/**
 * Issue 7, case 7: a password given in the URL (--db) or in ROWBACK_DATABASE_URL, and a secret-named
 * param, appear in no output line, report, ledger row or error, whatever the command and however it
 * ends (success, failed gate, refused, bad password, unreachable server, ROWBACK_DEBUG stack traces).
 * The password has URL-special characters, so both its decoded and its percent-encoded forms are scanned.
 */
const GATE_ID = '20261126-reliability-gate';
let rig: Rig;
let user: string;
let password: string;
let url: string;
const secretParam = `tok-${randomBytes(6).toString('hex')}`;

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') }, 300);
  await rig.writeModule(
    MODULE_ID,
    moduleSource(MODULE_ID).replace(
      "note: z.string().default('')",
      "note: z.string().default(''), apiPassword: z.string().default('')",
    ),
  );
  await rig.writeModule(
    GATE_ID,
    moduleSource(GATE_ID)
      .replace('expect: { min: 1 } }', 'expect: { min: 1, max: 2 } }')
      .replace(
        "note: z.string().default('')",
        "note: z.string().default(''), apiPassword: z.string().default('')",
      ),
  );
  password = `p@ss:w/rd%${randomBytes(6).toString('hex')}`;
  user = `rbs_${randomBytes(3).toString('hex')}`;
  for (const host of ['%', 'localhost']) {
    await rig.box.load({ sql: `CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'` });
    await rig.box.load({ sql: `GRANT ALL ON *.* TO '${user}'@'${host}'` });
  }
  url = formatConnectionUrl({ ...parseConnectionUrl(rig.box.url), user, password });
}, 180_000);

afterAll(async () => {
  if (user)
    for (const host of ['%', 'localhost'])
      await rig.box.load({ sql: `DROP USER IF EXISTS '${user}'@'${host}'` });
  await rig?.drop();
});

function expectNoSecret(label: string, text: string): void {
  for (const secret of [password, encodeURIComponent(password), secretParam]) {
    expect(text.includes(secret), `${label} shows a secret`).toBe(false);
  }
}

describe('secrets', () => {
  it('never appear in output, reports, errors or the ledger, for any command and any ending', async () => {
    const viaEnv = { ...rig.env, ROWBACK_DATABASE_URL: url };
    const ctl = ['--control-schema', rig.box.controlSchema];
    const outputs: [string, CliResult][] = [];
    const run = async (label: string, args: string[], env: Record<string, string> = viaEnv) => {
      const result = await runCli(args, { env: { ...env, ROWBACK_DEBUG: '1' } });
      outputs.push([label, result]);
      return result;
    };
    const param = ['--param', `apiPassword=${secretParam}`];
    await run('plan (env URL)', ['plan', MODULE_ID, ...rig.common(), ...param, '--json']);
    const applied = await run(
      'apply --db',
      ['apply', MODULE_ID, ...rig.common(), '--db', url, '--yes', '--json', ...param],
      rig.env,
    );
    expect(applied.code, applied.stderr).toBe(0);
    await run('apply again (refused)', ['apply', MODULE_ID, ...rig.common(), '--yes', ...param]);
    await run('status', ['status', ...ctl, '--json']);
    await run('status text', ['status', MODULE_ID, ...ctl]);
    await run('render', ['render', MODULE_ID, ...ctl]);
    const runId = JSON.parse(applied.stdout).runId as string;
    await run('undo', ['undo', runId, ...ctl, '--yes', '--json']);
    await run('gc', ['gc', ...ctl, '--json']);
    await run('gate failure', [
      'apply',
      GATE_ID,
      ...ctl,
      '--workspace',
      rig.box.schemaName('wsg'),
      '--yes',
      '--json',
      ...param,
    ]);
    await run('diff', ['diff', `${rig.box.schema}.wp_users`, `${rig.box.schema}.wp_users`, '--json']);
    await run('extract', [
      'extract',
      '--from',
      rig.dumpFile,
      '--tables',
      'wp_users',
      '--into',
      rig.box.schemaName('wse'),
      '--json',
    ]);
    await run('extract of a missing file', [
      'extract',
      '--from',
      '/nonexistent.sql',
      '--tables',
      'wp_users',
      '--into',
      rig.box.schemaName('wse2'),
    ]);
    const wrong = url.replace(encodeURIComponent(password), encodeURIComponent(`${password}x`));
    await run('wrong password', ['plan', MODULE_ID, ...rig.common(), '--db', wrong], rig.env);
    const unreachable = formatConnectionUrl({ ...parseConnectionUrl(url), port: 1 });
    await run('unreachable server', ['status', '--db', unreachable], rig.env);
    await run('bad URL', ['status', '--db', `mysql://${user}:${encodeURIComponent(password)}@[bad`], rig.env);
    const paramsFile = join(rig.restoresDir, 'params.json');
    await writeFile(paramsFile, JSON.stringify({ apiPassword: secretParam, backup: rig.dumpFile, note: 7 }));
    await run('invalid params file', ['plan', MODULE_ID, ...rig.common(), '--params', paramsFile]);
    for (const [label, result] of outputs) expectNoSecret(label, `${result.stdout}\n${result.stderr}`);
    expect(outputs.find(([l]) => l === 'wrong password')![1].stderr).toMatch(
      /cannot connect to mysql:\/\/rbs_\w+:\*\*\*@/,
    );
    const gate = outputs.find(([l]) => l === 'gate failure')![1];
    expect(gate.code, gate.stderr).toBe(3);
    expectNoSecret('ledger', await ledgerText(rig));
    // The reports kept in the ledger mask the secret-named param, and keep the others.
    expect(await ledgerText(rig)).toMatch(/apiPassword\\*":\\*"\*\*\*/);
  }, 300_000);
});
