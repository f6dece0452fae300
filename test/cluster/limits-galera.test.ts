import { createConnection } from 'mysql2/promise';
import { apply, connect, isErrorNamed, type RunReport, undo } from 'rowback';
import { adminQuery, type GaleraClusterHandle, startGaleraCluster } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLimitsRig, DAMAGED, damagedIds, type LimitsRig, limitsModule } from './limits-support.ts';

/**
 * Issue 14 items 3 and 5 on a real 3-node MariaDB Galera cluster: a node that is not Synced is refused,
 * every write path stays within wsrep_max_ws_rows, a certification conflict is retried, a difference
 * between nodes fails the run, and a run whose node is killed mid-chunk is completed from another node.
 */
let cluster: GaleraClusterHandle;
let rig: LimitsRig;

const node = (i: number) => {
  const n = cluster.nodes[i];
  if (!n) throw new Error(`no node ${i + 1}`);
  return n;
};

beforeAll(async () => {
  cluster = await startGaleraCluster({ nodes: 3 });
  rig = await createLimitsRig(node(0).url);
});
afterAll(async () => {
  await rig?.box.drop().catch(() => undefined);
  await cluster?.stop();
});
beforeEach(async () => {
  await adminQuery(node(0).port, 'SET GLOBAL wsrep_max_ws_rows = 0');
  await rig.reset();
});

/** Damaged users as node `i` sees them, after it has applied everything committed before. */
async function damagedOn(i: number): Promise<number> {
  const [row] = await adminQuery<{ n: number }>(
    node(i).port,
    `SET STATEMENT wsrep_sync_wait = 1 FOR SELECT COUNT(*) AS n FROM \`${rig.box.schema}\`.wp_users WHERE user_email LIKE 'bad%'`,
  );
  return Number(row?.n);
}

const peersOf = (report: RunReport) => report.agreement?.map((p) => [p.kind, p.status]);
/**
 * The other nodes, named as an operator would with --replica: the harness leaves
 * wsrep_node_incoming_address at AUTO, so a node does not tell the others' SQL addresses.
 */
const others = (written: number) => ({
  throttle: { replicas: cluster.nodes.filter((_, i) => i !== written).map((n) => n.url) },
});

describe('Galera: writable members only', () => {
  it('refuses a node that is not Synced before anything is written, naming the other members', async () => {
    await adminQuery(node(1).port, 'SET GLOBAL wsrep_desync = ON');
    try {
      await using target = await connect(`${node(1).url}/${rig.box.schema}`);
      const refused = await apply(
        target,
        limitsModule(rig),
        {},
        {
          confirm: true,
          controlSchema: rig.box.controlSchema,
        },
      ).catch((e: unknown) => e);
      expect(isErrorNamed(refused, 'MemberNotWritableError')).toBe(true);
      expect((refused as Error).message).toMatch(
        /is Donor\/Desynced in a Primary component, expected Synced/,
      );
      // The harness leaves wsrep_node_incoming_address at AUTO: the other nodes are named by name.
      expect((refused as Error).message).toContain('(members: node1, node3)');
      const ledger = await adminQuery(
        node(0).port,
        `SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${rig.box.controlSchema}'`,
      );
      expect(ledger).toEqual([]);
    } finally {
      await adminQuery(node(1).port, 'SET GLOBAL wsrep_desync = OFF');
    }
  });
});

describe('Galera: within wsrep_max_ws_rows on every write path', () => {
  it('refuses an unchunked transaction over the limit, then copies, snapshots, applies and undoes in writesets under it; every node agrees', async () => {
    // 150 rows per writeset: the extract (300 rows) and an unchunked restore (about 300) would exceed it.
    await adminQuery(node(0).port, 'SET GLOBAL wsrep_max_ws_rows = 150');
    await using target = await connect(`${node(0).url}/${rig.box.schema}`);
    const options = { confirm: true as const, controlSchema: rig.box.controlSchema, ...others(0) };
    const refused = await apply(target, limitsModule(rig), {}, options);
    expect(refused.status).toBe('failed');
    expect(refused.error?.name).toBe('SizeLimitError');
    expect(refused.error?.message).toMatch(/above the row limit of 150 rows .*wsrep_max_ws_rows/);
    // The extract and the snapshot before it ran (split into writesets of at most 75 rows).
    expect(refused.steps.map((s) => [s.name, s.status])).toEqual([
      ['backup', 'done'],
      ['damaged', 'done'],
      ['before', 'done'],
      ['restore', 'failed'],
    ]);
    expect(await damagedIds(rig.box.target)).toHaveLength(DAMAGED);

    await rig.reset();
    const applied = await apply(target, limitsModule(rig, { chunk: 20 }), {}, options);
    expect(applied.status, JSON.stringify(applied.error)).toBe('done');
    expect(applied.transactions.find((t) => t.name === 'restore')).toMatchObject({
      chunks: 5,
      chunksCommitted: 5,
    });
    expect(peersOf(applied)).toEqual([
      ['galera', 'agree'],
      ['galera', 'agree'],
    ]);
    // Flow control of the node written to and of the two others.
    expect(applied.throttle?.watching).toEqual([node(1).url, node(2).url, rig.box.target.description]);
    expect(applied.throttle?.unwatched).toEqual([]);
    for (const i of [0, 1, 2]) expect(await damagedOn(i)).toBe(0);

    const undone = await undo(target, applied.runId!, options);
    expect(undone.status, JSON.stringify(undone.error)).toBe('done');
    expect(undone.steps).toHaveLength(5);
    expect(peersOf(undone)).toEqual([
      ['galera', 'agree'],
      ['galera', 'agree'],
    ]);
    for (const i of [0, 1, 2]) expect(await damagedOn(i)).toBe(DAMAGED);
  });
});

describe('Galera: certification conflicts', () => {
  it('retries a chunk another node wrote into at the same time; gives up cleanly when it keeps happening', async () => {
    // Another node commits a change to a row this chunk has written but not committed: Galera aborts
    // the chunk (1213 at its next statement or at COMMIT).
    const conflict = () =>
      adminQuery(
        node(1).port,
        `UPDATE \`${rig.box.schema}\`.wp_users SET display_name = UUID() WHERE ID = 3`,
      );
    const once = limitsModule(rig, {
      chunk: 50,
      inTransaction: async (call) => void (call === 1 && (await conflict())),
    });
    const report = await rig.box.apply(once, {});
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(report.warnings.join('\n')).toMatch(
      /restore#1: rolled back by a conflicting write .*attempt 2 of 4/,
    );
    expect(await damagedIds(rig.box.target)).toEqual([]);
    const [user3] = await adminQuery<{ d: string }>(
      node(0).port,
      `SELECT display_name AS d FROM \`${rig.box.schema}\`.wp_users WHERE ID = 3`,
    );
    expect(user3?.d).toBe('User 3');

    await rig.reset();
    const always = limitsModule(rig, { chunk: 50, inTransaction: async () => void (await conflict()) });
    const failed = await rig.box.apply(always, {});
    expect(failed.status).toBe('failed');
    expect(failed.error?.name).toBe('CertificationConflictError');
    expect(failed.error?.message).toMatch(/restore#1 was rolled back by conflicting writes 4 times/);
    expect(await damagedIds(rig.box.target)).toHaveLength(DAMAGED);
  });
});

describe('Galera: every node agrees', () => {
  it('fails the final verification when a node holds other rows, naming it', async () => {
    const diverge = async (value: string) => {
      // wsrep_on = OFF for this session: the change stays on node 3, as a node gone wrong would hold it.
      const c = await createConnection({ host: '127.0.0.1', port: node(2).port, user: 'root' });
      try {
        await c.query('SET SESSION wsrep_on = OFF');
        await c.query(`UPDATE \`${rig.box.schema}\`.wp_users SET display_name = ? WHERE ID = 3`, [value]);
      } finally {
        await c.end();
      }
    };
    const module = limitsModule(rig, {
      afterRestore: async () => {
        await damagedOn(2);
        await diverge('diverged');
      },
    });
    try {
      const report = await rig.box.apply(module, {}, others(0));
      expect(report.status).toBe('failed');
      expect(report.error?.name).toBe('ClusterAgreementError');
      expect(report.error?.message).toContain(
        `127.0.0.1:${node(2).port} differs in ${rig.box.schema}.wp_users`,
      );
      expect(peersOf(report)).toEqual([
        ['galera', 'agree'],
        ['galera', 'differ'],
      ]);
    } finally {
      await diverge('User 3');
    }
  });
});

describe('Galera: a node leaving the cluster', () => {
  it('does not stall the run: once the cluster has evicted it, chunks go on, and the report says it was not compared', async () => {
    const module = limitsModule(rig, {
      chunk: 25,
      inTransaction: async (call) => void (call === 2 && (await node(2).kill())),
    });
    try {
      const report = await rig.box.apply(
        module,
        {},
        { ...others(0), throttle: { ...others(0).throttle, pollMs: 200 } },
      );
      expect(report.status, JSON.stringify(report.error)).toBe('done');
      expect(report.throttle?.unwatched.join('\n')).toMatch(
        new RegExp(`127\\.0\\.0\\.1:${node(2).port} unreadable .*left the cluster, no longer watched`),
      );
      expect(report.warnings.join('\n')).toMatch(
        new RegExp(
          `could not compare the written rows on mysql://root@127\\.0\\.0\\.1:${node(2).port} .*ECONNREFUSED`,
        ),
      );
      expect(report.warnings.join('\n')).not.toMatch(/nodes do not tell their SQL addresses/);
      expect(report.agreement?.map((p) => p.status).sort()).toEqual(['agree', 'unreachable']);
      expect(await damagedIds(rig.box.target)).toEqual([]);
    } finally {
      await node(2).start();
    }
    expect(await damagedOn(2)).toBe(0);
  });
});

describe('Galera: a node killed mid-chunk', () => {
  it('leaves whole chunks only; the run is completed with --resume from another node', async () => {
    const module = limitsModule(rig, {
      chunk: 25,
      // The node written to dies with chunk 2 written but not committed.
      inTransaction: async (call) => void (call === 2 && (await node(0).kill())),
    });
    const failed = await rig.box.apply(module, {}, others(0)).catch((e: unknown) => e);
    // The report can hardly be written to a dead node: the run ends failed, or with the connection's error.
    expect(failed instanceof Error || (failed as RunReport).status === 'failed').toBe(true);
    await cluster.waitUntilSynced();
    await using survivor = await connect(`${node(1).url}/${rig.box.schema}`);
    const committed = await damagedIds(survivor);
    expect(committed.length).toBe(DAMAGED - 25);
    const resumed = await apply(
      survivor,
      module,
      {},
      {
        confirm: true,
        resume: true,
        controlSchema: rig.box.controlSchema,
        ...others(1),
      },
    );
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    expect(resumed.steps.filter((s) => s.status === 'skipped').map((s) => s.name)).toEqual([
      'backup',
      'damaged',
      'before',
      'restore#1',
    ]);
    expect(await damagedIds(survivor)).toEqual([]);
    await node(0).start();
    expect(await damagedOn(0)).toBe(0);
  });
});
