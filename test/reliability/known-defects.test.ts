import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExtractContext, fromMysqldump, isErrorNamed, quoteId, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REPO_ROOT, runCli, startCli } from '../support/run-cli.ts';
import { createRig, MODULE_ID, moduleSource, type Rig } from './harness.ts';

/**
 * Defects the reliability suite found in code owned by others, kept as executable regression tests.
 * They are `todo` in CI so the suite stays green; `ROWBACK_RUN_KNOWN_DEFECTS=1` runs them (they fail
 * until fixed). Once a defect is fixed, move its test into the suite file named in its comment.
 * docs/reliability.md describes each one.
 */
const known = process.env.ROWBACK_RUN_KNOWN_DEFECTS ? it : it.todo;
const DUMP = join(REPO_ROOT, 'fixtures/real/mysqldump-mariadb-10.11-tables-users-usermeta.sql');

let rig: Rig;

beforeAll(async () => {
  if (!process.env.ROWBACK_RUN_KNOWN_DEFECTS) return;
  rig = await createRig({ url: inject('mysqlUrl') }, 17_000);
  await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID));
}, 180_000);

afterAll(async () => {
  await rig?.drop();
});

describe('known defects', () => {
  // KD-1 (process-kill.test.ts). src/runner/restore-context.ts dropPreviousExtract() drops only the
  // backup tables the ledger records; an extract killed after its CREATE TABLE and before its artifacts
  // were recorded leaves an unrecorded table, and the re-run's plain CREATE TABLE in
  // src/sources/landing-zone.ts createFromDdl() fails: "the workspace server rejected the DDL for
  // backup__wp_users …: Table 'backup__wp_users' already exists". The run cannot be resumed.
  known(
    'KD-1: kill -9 during extract, then apply --resume completes',
    async () => {
      await rig.reset();
      const child = startCli(['apply', MODULE_ID, ...rig.common(), '--yes'], { env: rig.env });
      await child.waitForStderr(/extract backup …/);
      await new Promise((resolve) => setTimeout(resolve, 300));
      child.kill('SIGKILL');
      await child.done;
      expect(await rig.liveState()).toBe(rig.damaged);
      const resumed = await runCli(['apply', MODULE_ID, ...rig.common(), '--yes', '--resume'], {
        env: rig.env,
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(await rig.liveState()).toBe(rig.pristine);
    },
    300_000,
  );

  // KD-2 (hostile-input.test.ts runs the dump fuzz with method 'insert' until this is fixed). With the
  // default LOAD DATA LOCAL method, a dump whose rows the server takes with warnings (a bit flip in a
  // date or a utf8 byte: "1265 Data truncated", "1366 Incorrect string value") fails with SourceError
  // in about 3 of 8 attempts and never answers in the others (> 60 s, no query running on the server).
  // Likely: src/sources/table-loader.ts LoadDataSink.abort() destroys the connection while a background
  // end() still awaits the LOAD DATA query, which mysql2 then never settles, and
  // src/sources/parallel-loads.ts ParallelLoads.abort() awaits Promise.allSettled(running) forever.
  known(
    'KD-2: a dump with a value the server truncates fails with SourceError in bounded time (LOAD DATA)',
    async () => {
      const bytes = Buffer.from(await readFile(DUMP));
      // Two flips the fuzz found: a wp_users date ("1265 Data truncated for column 'user_registered'")
      // and a wp_usermeta key with a byte that is not UTF-8 ("1366 Incorrect string value").
      bytes[6526] = 0o70;
      bytes[31691] = 0o363;
      const file = join(rig.restoresDir, 'kd2.sql');
      await writeFile(file, bytes);
      const workspace = rig.box.schemaName('kd2');
      await sql.raw(`CREATE DATABASE ${quoteId(workspace)}`).execute(rig.box.target.db);
      for (let attempt = 0; attempt < 8; attempt++) {
        const context: ExtractContext = {
          target: rig.box.target,
          workspace,
          tableName: (t) => `a${attempt}_${t}`,
        };
        const outcome = await Promise.race([
          fromMysqldump(file, { tables: ['wp_users', 'wp_usermeta'], method: 'load-data' })
            .extract(context)
            .then(
              () => 'loaded',
              (e) => (isErrorNamed(e, 'SourceError') ? 'source-error' : `other: ${e}`),
            ),
          new Promise((resolve) => setTimeout(() => resolve('hang'), 20_000)),
        ]);
        expect(outcome, `attempt ${attempt + 1}`).toBe('source-error');
      }
    },
    300_000,
  );
});
