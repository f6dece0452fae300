import { setTimeout as sleep } from 'node:timers/promises';
import { createConnection } from 'mysql2/promise';
import {
  apply,
  connect,
  defineRestore,
  ensureLedger,
  fromSchema,
  gc,
  isErrorNamed,
  plan,
  quoteId,
  quoteQualified,
  type RunReport,
  sql,
  status,
  type Target,
} from 'rowback';
import { type ClusterNode, type GaleraClusterHandle, startGaleraCluster } from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createRig, MODULE_ID, moduleSource, type Rig } from '../reliability/harness.ts';
import { runCli, startCli } from '../support/run-cli.ts';

/**
 * Issue 14 item 2 on a real 3-node Galera cluster: GET_LOCK is node-local there, so only the lease
 * (a certified row in the ledger) can keep two runs through two nodes apart.
 */
const RACES = Number(process.env.ROWBACK_LEASE_RACES ?? 20);
const RACE_ID = '20261204-cluster-lease-race';
const HOLD_LOCK = 'rowback-test-hold';

let cluster: GaleraClusterHandle;
let rig: Rig;
let node1: ClusterNode;
let node2: ClusterNode;
/** The rig's live schema and ledger through node 1 and node 2. */
let via1: Target;
let via2: Target;
let raceSource: string;

const urlOf = (node: ClusterNode) => `${node.url}/${rig.box.schema}`;

beforeAll(async () => {
  cluster = await startGaleraCluster({ nodes: 3 });
  [node1, node2] = cluster.nodes as [ClusterNode, ClusterNode];
  rig = await createRig({ url: node1.url }, 200);
  await rig.writeModule(
    MODULE_ID,
    moduleSource(MODULE_ID, {
      extra: `await r.verify('held by the test', sql\`SELECT GET_LOCK('${HOLD_LOCK}', 60) AS got\`, { expect: { rows: 1 } });`,
    }),
  );
  via1 = await connect(urlOf(node1));
  via2 = await connect(urlOf(node2));
  // The race module's backup: a copy of the live users in a schema of its own.
  raceSource = rig.box.schemaName('race_src');
  await rig.box.load({ sql: `CREATE DATABASE ${quoteId(raceSource)}` });
  await rig.box.load({ sql: `CREATE TABLE ${quoteId(raceSource)}.wp_users LIKE wp_users` });
  await rig.box.load({ sql: `INSERT INTO ${quoteId(raceSource)}.wp_users SELECT * FROM wp_users` });
  // The ledger exists before the races, so they race for the lease and not for creating the ledger.
  await ensureLedger(via1, rig.box.controlSchema);
});

afterAll(async () => {
  await via1?.close();
  await via2?.close();
  await rig?.drop().catch(() => undefined);
  await cluster?.stop();
});

type Outcome = { readonly report: RunReport } | { readonly error: unknown };

/**
 * Waits until the node has applied every write the cluster committed so far. Galera aborts a local
 * transaction whose row locks meet a replicated write being applied (error 1213, issue 14 item 3's
 * retry): a test run must not start while the previous one's writes are still arriving.
 */
async function applied(target: Target): Promise<void> {
  await sql`SET STATEMENT wsrep_sync_wait = 1 FOR SELECT COUNT(*) FROM ${sql.id(rig.box.schema, 'wp_users')}`.execute(
    target.db,
  );
}

/** A small module that replaces 20 users; `onEnter` runs first inside it, holding the lease. */
function raceModule(onEnter: () => Promise<void>) {
  return defineRestore({
    id: RACE_ID,
    title: 'lease race',
    params: z.object({}),
    retention: { days: 0 },
    async run(r) {
      await onEnter();
      const backup = await r.extract('backup', fromSchema(raceSource, { tables: ['wp_users'] }));
      const users = await r.scope('first-users', sql`SELECT ID FROM wp_users WHERE ID <= 20`, {
        key: 'ID',
        keyFrom: 'wp_users',
        expect: { rows: 20 },
      });
      await r.transaction('restore', async (tx) => {
        await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
      });
    },
  });
}

describe('module lease on a 3-node Galera cluster', () => {
  it(`a module applied through node 1 and node 2 at the same moment: exactly one runs, the other is refused naming the holder (${RACES} races)`, async () => {
    const refusedBy = new Map<string, number>();
    let namedRunId = 0;
    for (let race = 1; race <= RACES; race++) {
      // Whoever gets in waits inside the module until the other attempt is over, so the two always
      // overlap. If both got in (the bug), the second entry opens the gate and both finish.
      let entered = 0;
      let open!: () => void;
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const restore = raceModule(async () => {
        entered++;
        if (entered === 2) open();
        await gate;
      });
      const attempt = (target: Target): Promise<Outcome> =>
        apply(target, restore, {}, { controlSchema: rig.box.controlSchema, confirm: true, force: true }).then(
          (report) => ({ report }),
          (error: unknown) => {
            open();
            return { error };
          },
        );
      // No wait for the previous race's writes here: a node still showing the previous holder's lease
      // is what made refusals name a stale holder before every lease read was causal.
      const outcomes = await Promise.all([attempt(via1), attempt(via2)]);
      const done = outcomes.flatMap((o) => ('report' in o ? [o.report] : []));
      const refused = outcomes.flatMap((o) => ('error' in o ? [o.error] : []));
      expect(done.length, `race ${race}: ${refused.map(String).join('; ')}`).toBe(1);
      expect(done[0]!.status, `race ${race}: ${JSON.stringify(done[0]!.error)}`).toBe('done');
      expect(refused.length).toBe(1);
      const error = refused[0];
      if (!isErrorNamed(error, 'LockError')) throw error;
      const winnerVia = outcomes.findIndex((o) => 'report' in o) === 0 ? node1 : node2;
      // The refusal names the holder: its node (the other one), since when, and its run once recorded.
      expect(error.message).toMatch(/is held by run (\d+|\(starting\)) from .* through .*, since .* UTC/);
      expect(error.message).toContain(`:${winnerVia.port} (`);
      const holderRunId = error.facts.holderRunId;
      expect([done[0]!.runId, null]).toContain(holderRunId);
      if (holderRunId !== null) namedRunId++;
      const how = String(error.facts.refusedBy);
      refusedBy.set(how, (refusedBy.get(how) ?? 0) + 1);
      expect(entered).toBe(1);
    }
    // Nobody holds the lease once both are over, and each race left exactly one apply.
    const leases = await sql<{ n: string }>`
      SELECT COUNT(*) AS n FROM ${sql.id(rig.box.controlSchema, 'leases')}`.execute(via2.db);
    expect(Number(leases.rows[0]?.n)).toBe(0);
    const applies = (
      await status(via2, { controlSchema: rig.box.controlSchema, moduleId: RACE_ID, limit: 500 })
    ).filter((r) => r.mode === 'apply');
    expect(applies.map((r) => r.status)).toEqual(Array(RACES).fill('done'));
    console.log(
      `lease races: ${RACES} of ${RACES} refused by the lease (${[...refusedBy].map(([k, v]) => `${k}: ${v}`).join(', ')}; holder run id named in ${namedRunId})`,
    );
  });

  it('back-to-back runs through alternating nodes are never refused by the lease the previous run released', async () => {
    // The release commits through one node; the next run asks the other at once. Plans take the
    // same lock as applies and leave live unchanged, so no replicated row write is in the way.
    const restore = raceModule(async () => undefined);
    for (let i = 0; i < 10; i++) {
      const report = await plan(
        i % 2 === 0 ? via1 : via2,
        restore,
        {},
        { controlSchema: rig.box.controlSchema },
      );
      expect(report.status, `run ${i + 1}: ${JSON.stringify(report.error)}`).toBe('done');
    }
  });

  it('kill -9 of the holder: other nodes see it running and are refused until its lease expires, then --resume through node 2 completes it', async () => {
    const ttlSeconds = 8;
    const common = ['--control-schema', rig.box.controlSchema, '--lease-ttl', String(ttlSeconds)];
    const env1 = { ...rig.env, ROWBACK_DATABASE_URL: urlOf(node1) };
    const env2 = { ...rig.env, ROWBACK_DATABASE_URL: urlOf(node2) };
    // The test holds a named lock on node 1 that the module's last step waits for: the holder is
    // killed inside that step, after its transaction committed, whatever the machine's speed.
    await applied(via1);
    const blocker = await createConnection({ host: '127.0.0.1', port: node1.port, user: 'root' });
    await blocker.query(`SELECT GET_LOCK('${HOLD_LOCK}', 0)`);
    const holder = startCli(['apply', MODULE_ID, ...common, '--yes'], { env: env1 });
    await holder.waitForStderr(/verify held by the test …/);
    holder.kill('SIGKILL');
    const killed = await holder.done;
    expect(killed.signal, `${killed.code} ${killed.stderr}`).toBe('SIGKILL');
    await blocker.end();

    const [run] = await status(via2, { controlSchema: rig.box.controlSchema, moduleId: MODULE_ID });
    expect(run?.status, 'seen from node 2, the killed run still holds its lease').toBe('running');
    const kept = await gc(via2, { controlSchema: rig.box.controlSchema, dryRun: true });
    expect(kept.kept.some((k) => k.moduleId === MODULE_ID && /in progress/.test(k.reason))).toBe(true);
    expect(kept.dropped).toEqual([]);

    const early = await runCli(['apply', MODULE_ID, ...common, '--yes', '--resume'], { env: env2 });
    expect(early.code, early.stderr).toBe(4);
    expect(early.stderr).toContain(`is held by run ${run!.runId} from `);
    expect(early.stderr).toContain(`:${node1.port} (`);

    // Polls for the expiry the lease announces: status through node 2 says so once it has passed.
    const deadline = Date.now() + (ttlSeconds + 30) * 1000;
    let seen = run!.status;
    while (seen === 'running' && Date.now() < deadline) {
      seen = (await status(via2, { controlSchema: rig.box.controlSchema, moduleId: MODULE_ID }))[0]!.status;
      if (seen === 'running') await sleep(250);
    }
    expect(seen).toBe('interrupted');

    const resumed = await runCli(['apply', MODULE_ID, ...common, '--yes', '--resume', '--json'], {
      env: env2,
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = JSON.parse(resumed.stdout) as RunReport;
    expect(report.resumedFrom).toBe(run!.runId);
    // The resumed run continues in the killed run's own workspace, where its extract already is.
    expect(report.workspace).toMatch(new RegExp(`_r${run!.runId}(_|$)`));
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['backup', 'skipped'],
      ['damaged-users', 'skipped'],
      ['before', 'skipped'],
      ['restore', 'skipped'],
      ['no damaged user left', 'skipped'],
      ['held by the test', 'done'],
    ]);
    const checksum = async (table: string) =>
      String(
        (
          await sql
            .raw<{ Checksum: string }>(`CHECKSUM TABLE ${quoteQualified(rig.box.schema, table)} EXTENDED`)
            .execute(via2.db)
        ).rows[0]?.Checksum,
      );
    expect(`${await checksum('wp_users')}/${await checksum('wp_usermeta')}`).toBe(rig.pristine);
    const runs = await status(via2, { controlSchema: rig.box.controlSchema, moduleId: MODULE_ID });
    expect(runs.slice(0, 2).map((r) => [r.runId, r.status])).toEqual([
      [report.runId, 'done'],
      [run!.runId, 'interrupted'],
    ]);
  });
});
