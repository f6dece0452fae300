import { createConnection } from 'mysql2/promise';
import { apply, connect, isErrorNamed, undo } from 'rowback';
import { adminQuery, type ReplicaPairHandle, startReplicaPair } from 'rowback/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLimitsRig, damagedIds, type LimitsRig, limitsModule } from './limits-support.ts';

/**
 * Issue 14 items 3-5 on a real GTID primary → read-only replica pair: the replica is refused as a
 * target, chunks wait while it lags (and stop cleanly when the lag never recovers), and after apply
 * and undo its scoped rows are compared with the primary's.
 */
let pair: ReplicaPairHandle;
let rig: LimitsRig;

beforeAll(async () => {
  pair = await startReplicaPair();
  rig = await createLimitsRig(pair.primary.url);
});
afterAll(async () => {
  await rig?.box.drop().catch(() => undefined);
  await pair?.stop();
});
beforeEach(async () => {
  await pair.startReplicaSql().catch(() => undefined);
  await rig.reset();
  await pair.waitForReplicaCatchUp();
});

const onReplica = async (statement: string) => adminQuery(pair.replica.port, statement);
/** A write made on the replica itself and kept out of its binary log (a logged one would break GTID strict mode). */
async function divergeReplica(statement: string): Promise<void> {
  const connection = await createConnection({ host: '127.0.0.1', port: pair.replica.port, user: 'root' });
  try {
    await connection.query('SET SESSION sql_log_bin = 0');
    await connection.query(statement);
  } finally {
    await connection.end();
  }
}
const schemaExists = async (port: number, schema: string) =>
  (await adminQuery(port, `SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${schema}'`))
    .length > 0;

describe('a replica as the target', () => {
  it('is refused before anything is written, naming the primary it replicates from', async () => {
    await using target = await connect(`${pair.replica.url}/${rig.box.schema}`);
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
      new RegExp(`read-only \\(read_only = ON\\).*replicates from 127\\.0\\.0\\.1:${pair.primary.port}`),
    );
    expect(await schemaExists(pair.replica.port, rig.box.controlSchema)).toBe(false);
    expect(await schemaExists(pair.primary.port, rig.box.controlSchema)).toBe(false);
  });
});

describe('throttled chunks and agreement with a replica', () => {
  it('waits while the replica lags, goes on when it catches up, and finds the replica agreeing', async () => {
    await pair.stopReplicaSql();
    let released = false;
    const report = await rig.box.apply(
      limitsModule(rig, { chunk: 25 }),
      {},
      {
        throttle: { replicas: [pair.replica.url], maxReplicaLagSeconds: 1, pollMs: 100 },
        onEvent: (event) => {
          // The run is waiting before a chunk: let the replica catch up.
          if (event.type === 'throttle' && !released) {
            released = true;
            void pair.startReplicaSql();
          }
        },
      },
    );
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    expect(released).toBe(true);
    expect(report.throttle?.watching).toContain(pair.replica.url);
    expect(report.throttle?.pauses.length).toBeGreaterThanOrEqual(1);
    expect(report.throttle?.pauses[0]?.reasons.join(' ')).toMatch(/replica .*(lags \d|lag unknown)/);
    expect(report.agreement?.map((p) => [p.kind, p.status])).toEqual([['replica', 'agree']]);
    expect(report.agreement?.[0]?.tables.map((t) => t.table)).toEqual([`${rig.box.schema}.wp_users`]);
    await pair.waitForReplicaCatchUp();
    expect(
      await onReplica(
        `SELECT COUNT(*) AS n FROM \`${rig.box.schema}\`.wp_users WHERE user_email LIKE 'bad%'`,
      ),
    ).toEqual([{ n: 0 }]);

    const undone = await undo(rig.box.target, report.runId!, {
      confirm: true,
      controlSchema: rig.box.controlSchema,
      throttle: { replicas: [pair.replica.url] },
    });
    expect(undone.status, JSON.stringify(undone.error)).toBe('done');
    expect(undone.steps.map((s) => s.name)).toEqual([
      'undo restore#4',
      'undo restore#3',
      'undo restore#2',
      'undo restore#1',
    ]);
    expect(undone.agreement?.map((p) => p.status)).toEqual(['agree']);
    expect((await damagedIds(rig.box.target)).length).toBe(100);
  });

  it('stops cleanly when the lag never recovers, and --resume continues once it has', async () => {
    await pair.stopReplicaSql();
    const module = limitsModule(rig, { chunk: 25 });
    const stuck = await rig.box.apply(
      module,
      {},
      {
        throttle: { replicas: [pair.replica.url], maxReplicaLagSeconds: 1, timeoutSeconds: 1.5, pollMs: 100 },
      },
    );
    expect(stuck.status).toBe('failed');
    expect(stuck.error?.name).toBe('ThrottleTimeoutError');
    expect(stuck.error?.message).toMatch(/before restore#1 .*replica/);
    expect((await damagedIds(rig.box.target)).length).toBe(100);
    await pair.startReplicaSql();
    const resumed = await rig.box.apply(
      module,
      {},
      { resume: true, throttle: { replicas: [pair.replica.url] } },
    );
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    expect(resumed.steps.filter((s) => s.kind === 'chunk' && s.status === 'done')).toHaveLength(4);
    expect(await damagedIds(rig.box.target)).toEqual([]);
  });

  it('fails the final verification when the replica holds other rows, and says where', async () => {
    const module = limitsModule(rig, {
      afterRestore: async () => {
        await pair.waitForReplicaCatchUp();
        // A write made on the replica itself (root bypasses read_only), as an application might.
        await divergeReplica(
          `UPDATE \`${rig.box.schema}\`.wp_users SET display_name = 'diverged' WHERE ID = 3`,
        );
      },
    });
    const report = await rig.box.apply(module, {}, { throttle: { replicas: [pair.replica.url] } });
    expect(report.status).toBe('failed');
    expect(report.error?.name).toBe('ClusterAgreementError');
    expect(report.error?.message).toMatch(/differs in .*wp_users/);
    const [peer] = report.agreement ?? [];
    expect(peer?.status).toBe('differ');
    expect(peer?.tables[0]?.expected).not.toBe(peer?.tables[0]?.found);
    // The restore itself committed on the primary: the failure is the verification's.
    expect(await damagedIds(rig.box.target)).toEqual([]);
    await divergeReplica(`UPDATE \`${rig.box.schema}\`.wp_users SET display_name = 'User 3' WHERE ID = 3`);
    const again = await rig.box.apply(
      limitsModule(rig),
      {},
      { resume: true, throttle: { replicas: [pair.replica.url] } },
    );
    expect(again.status, JSON.stringify(again.error)).toBe('done');
    expect(again.agreement?.map((p) => p.status)).toEqual(['agree']);
  });
});
