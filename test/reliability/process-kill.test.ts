import { setTimeout as sleep } from 'node:timers/promises';
import { type RunSummary, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { prng } from '../support/prng.ts';
import { type CliRun, runCli, startCli } from '../support/run-cli.ts';
import {
  createRig,
  lastStepStarted,
  ledgerRuns,
  MODULE_ID,
  moduleSource,
  type Rig,
  SCALE,
} from './harness.ts';

/**
 * Issue 7, case 1: `kill -9` of `rowback apply` (a real subprocess) with a scope of ≥ 50,000 rows across
 * wp_users and wp_usermeta. Kills come in chains: an apply is killed, its `--resume` is killed again,
 * and so on, then a last `--resume` completes and `undo` puts the pre-run state back. After every kill
 * live must be byte-identical to the pre-run (damaged) or the fully applied (pristine) state.
 */
let rig: Rig;

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') });
  await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID));
});

afterAll(async () => {
  await rig?.drop();
});

/** The module's latest runs from the ledger, the way `rowback status` shows them. */
async function runs(): Promise<RunSummary[]> {
  return ledgerRuns(rig, MODULE_ID);
}

/** A killed run's session ends on the server a moment after the process dies; wait for that. */
async function settledRuns(): Promise<RunSummary[]> {
  for (let i = 0; i < 100; i++) {
    const all = await runs();
    if (!all.some((r) => r.status === 'running')) return all;
    await sleep(100);
  }
  return runs();
}

/** Raw ledger statuses (no lock probe): after the next run took the lock, none may still say running. */
async function rawStatuses(): Promise<string[]> {
  const r = await sql<{
    status: string;
  }>`SELECT status FROM ${sql.id(rig.box.controlSchema, 'runs')}`.execute(rig.box.target.db);
  return r.rows.map((row) => row.status);
}

type Moment = { readonly label: string; readonly wait: (child: CliRun) => Promise<void> };

const afterLine = (pattern: RegExp, ms: () => number, label: string): Moment => ({
  label,
  wait: async (child) => {
    await child.waitForStderr(pattern);
    await sleep(ms());
  },
});

describe('kill -9 of rowback apply (large scope)', () => {
  it(`at ${SCALE.kills} moments: live is pre-run or fully applied, never in between; interrupted; resume completes; undo restores`, async () => {
    const rand = prng(SCALE.seed);
    console.log(`process-kill: seed ${SCALE.seed}, ${rig.users} users (${3 * rig.users} scoped rows)`);
    // A plan first (the documented workflow: its extract is re-done by the apply), then calibrate: how
    // long a whole apply takes here, so random kill moments fall inside it.
    const planned = await runCli(['plan', MODULE_ID, ...rig.common()], { env: rig.env });
    expect(planned.code, planned.stderr).toBe(0);
    const calibration = startCli(['apply', MODULE_ID, ...rig.common(), '--yes'], { env: rig.env });
    await calibration.waitForStderr(/snapshot before …/);
    const snapshotStart = Date.now();
    await calibration.waitForStderr(/transaction restore …/);
    const transactionStart = Date.now();
    await calibration.waitForStderr(/done\s+transaction restore/);
    const snapshotMs = transactionStart - snapshotStart;
    const transactionMs = Date.now() - transactionStart;
    const full = await calibration.done;
    expect(full.code, full.stderr).toBe(0);
    expect(await rig.liveState()).toBe(rig.pristine);
    // Targeted moments first (each phase of a run is hit at least once), then random ones.
    const targeted: Moment[] = [
      // Kills during `extract` are in regressions.test.ts (KD-1).
      afterLine(/scope damaged-users …/, () => 20, 'scope'),
      afterLine(/snapshot before …/, () => 300, 'snapshot'),
      afterLine(/transaction restore …/, () => 500, 'transaction, early'),
      afterLine(/transaction restore …/, () => 2500 + rand() * 2500, 'transaction, late (near commit)'),
      afterLine(/done\s+transaction restore/, () => 0, 'ledger: right after the commit'),
      afterLine(/verify no damaged user left …/, () => 0, 'final verify / run status write'),
    ];
    const moments: string[] = [];
    let kills = 0;
    let chains = 0;
    // Each targeted moment is tried once, landed or not: a moment the run keeps finishing before (the
    // last ones, on a loaded machine) must not be retried forever.
    let nextMoment = 0;
    while (kills < SCALE.kills) {
      chains += 1;
      expect(chains, `only ${kills} kills landed in ${chains - 1} chains`).toBeLessThanOrEqual(
        SCALE.kills * 3,
      );
      await rig.reset();
      const chainLength = 3 + Math.floor(rand() * 3);
      for (let k = 0; k < chainLength && kills < SCALE.kills; k++) {
        const resumable = (await runs()).some((r) => r.mode === 'apply' && r.status !== 'done');
        const child = startCli(
          ['apply', MODULE_ID, ...rig.common(), '--yes', ...(resumable ? ['--resume'] : [])],
          { env: rig.env },
        );
        const moment =
          targeted[nextMoment++] ??
          ({
            // A random moment of the snapshot (1 in 4) or of the transaction, where live data is at stake.
            label: 'random',
            wait: async (child: CliRun) => {
              if (rand() < 0.25) {
                // A resumed run that did its snapshot already skips it: the transaction then follows.
                await child.waitForStderr(/snapshot before …|skipped\s+snapshot before/);
                await sleep(rand() * snapshotMs);
              } else {
                await child.waitForStderr(/transaction restore …/);
                await sleep(rand() * transactionMs * 1.1);
              }
            },
          } satisfies Moment);
        await Promise.race([moment.wait(child), child.done]);
        child.kill('SIGKILL');
        const result = await child.done;
        const where = lastStepStarted(result.stderr);
        if (result.signal !== 'SIGKILL') {
          // It finished before the kill landed: that is the fully applied state.
          expect(result.code, result.stderr).toBe(0);
          expect(await rig.liveState()).toBe(rig.pristine);
          break;
        }
        kills += 1;
        moments.push(`${moment.label} → ${where}`);
        const state = await rig.liveState();
        expect([rig.damaged, rig.pristine], `after a kill at ${where}`).toContain(state);
        const latest = (await settledRuns())[0];
        if (latest)
          expect(['interrupted', 'done'], `run status after a kill at ${where}`).toContain(latest.status);
        if (latest?.status === 'done') {
          // The kill landed after the run had finished: nothing is left to resume in this chain.
          expect(state).toBe(rig.pristine);
          break;
        }
      }
      // Finish the chain: resume (or apply, if no run got as far as the ledger) must complete.
      const latest = (await runs())[0];
      if (latest?.status !== 'done') {
        const resumable = latest?.mode === 'apply';
        const resumed = await runCli(
          ['apply', MODULE_ID, ...rig.common(), '--yes', ...(resumable ? ['--resume'] : [])],
          { env: rig.env },
        );
        expect(resumed.code, resumed.stderr).toBe(0);
      }
      expect(await rig.liveState()).toBe(rig.pristine);
      expect(await rawStatuses()).not.toContain('running');
      const done = (await runs()).find((r) => r.mode === 'apply' && r.status === 'done')!;
      const undone = await runCli(['undo', done.runId, '--control-schema', rig.box.controlSchema, '--yes'], {
        env: rig.env,
      });
      expect(undone.code, undone.stderr).toBe(0);
      expect(await rig.liveState()).toBe(rig.damaged);
    }
    console.log(`process-kill: ${kills} kills in ${chains} chains:\n  ${moments.join('\n  ')}`);
    expect(kills).toBeGreaterThanOrEqual(SCALE.kills);
  }, 900_000);
});
