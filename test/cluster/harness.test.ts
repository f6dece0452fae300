import {
  adminQuery,
  type ClusterNode,
  type GaleraClusterHandle,
  globalStatus,
  type ReplicaPairHandle,
  startGaleraCluster,
  startReplicaPair,
} from 'rowback/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The harness itself, on real servers: what the cluster tests rely on must hold before they can mean
// anything (a cluster that never formed would make every "refused on the other node" test vacuous).

function nodes(cluster: GaleraClusterHandle): [ClusterNode, ClusterNode, ClusterNode] {
  const [a, b, c] = cluster.nodes;
  if (!a || !b || !c) throw new Error(`expected 3 nodes, found ${cluster.nodes.length}`);
  return [a, b, c];
}

describe('Galera test cluster', () => {
  let cluster: GaleraClusterHandle;
  beforeAll(async () => {
    cluster = await startGaleraCluster({ nodes: 3 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('forms one cluster of three Synced nodes that replicate each other', async () => {
    const [node1, node2, node3] = nodes(cluster);
    const uuids = await Promise.all(
      cluster.nodes.map((n) => globalStatus(n.port, 'wsrep_cluster_state_uuid')),
    );
    expect(new Set(uuids).size).toBe(1);
    expect(uuids[0]).toMatch(/^[0-9a-f-]{36}$/);
    for (const node of cluster.nodes) {
      expect(await globalStatus(node.port, 'wsrep_local_state_comment')).toBe('Synced');
      expect(await globalStatus(node.port, 'wsrep_cluster_size')).toBe('3');
    }
    const ids = await Promise.all(
      cluster.nodes.map(
        async (n) => (await adminQuery<{ id: number }>(n.port, 'SELECT @@server_id AS id'))[0]?.id,
      ),
    );
    expect(ids).toEqual(cluster.nodes.map((n) => n.serverId));
    expect(new Set(ids).size).toBe(3);

    await adminQuery(node1.port, 'CREATE DATABASE harness_galera');
    await adminQuery(node1.port, 'CREATE TABLE harness_galera.t (id INT PRIMARY KEY, v VARCHAR(10))');
    await adminQuery(node2.port, "INSERT INTO harness_galera.t VALUES (1, 'two')");
    // wsrep_sync_wait makes the read wait until this node has applied everything committed before it.
    const rows = await adminQuery<{ v: string }>(
      node3.port,
      'SET STATEMENT wsrep_sync_wait = 1 FOR SELECT v FROM harness_galera.t WHERE id = 1',
    );
    expect(rows).toEqual([{ v: 'two' }]);
  });

  it('keeps quorum when a node is killed, and the node catches up when started again', async () => {
    const [node1, , node3] = nodes(cluster);
    await node3.kill();
    await expect(adminQuery(node3.port, 'SELECT 1')).rejects.toThrow();
    await cluster.waitUntilSynced();
    expect(await globalStatus(node1.port, 'wsrep_cluster_size')).toBe('2');
    await adminQuery(node1.port, 'CREATE DATABASE IF NOT EXISTS harness_galera');
    await adminQuery(
      node1.port,
      'CREATE TABLE IF NOT EXISTS harness_galera.t (id INT PRIMARY KEY, v VARCHAR(10))',
    );
    await adminQuery(node1.port, "INSERT INTO harness_galera.t VALUES (2, 'while-down')");

    await node3.start();
    expect(await globalStatus(node3.port, 'wsrep_cluster_size')).toBe('3');
    const rows = await adminQuery<{ v: string }>(
      node3.port,
      'SET STATEMENT wsrep_sync_wait = 1 FOR SELECT v FROM harness_galera.t WHERE id = 2',
    );
    expect(rows).toEqual([{ v: 'while-down' }]);
  });
});

describe('GTID primary → replica pair', () => {
  let pair: ReplicaPairHandle;
  beforeAll(async () => {
    pair = await startReplicaPair();
  });
  afterAll(async () => {
    await pair?.stop();
  });

  it('replicates by GTID to a read-only replica', async () => {
    const [status] = await adminQuery<Record<string, string>>(pair.replica.port, 'SHOW SLAVE STATUS');
    expect(status?.Using_Gtid).toBe('Slave_Pos');
    expect(status?.Slave_IO_Running).toBe('Yes');
    expect(status?.Slave_SQL_Running).toBe('Yes');
    const [flags] = await adminQuery<{ ro: number }>(pair.replica.port, 'SELECT @@read_only AS ro');
    expect(Number(flags?.ro)).toBe(1);

    await adminQuery(pair.primary.port, 'CREATE DATABASE harness_pair');
    await adminQuery(pair.primary.port, 'CREATE TABLE harness_pair.t (id INT PRIMARY KEY)');
    await adminQuery(pair.primary.port, 'INSERT INTO harness_pair.t VALUES (1)');
    await pair.waitForReplicaCatchUp();
    expect(await adminQuery(pair.replica.port, 'SELECT id FROM harness_pair.t')).toEqual([{ id: 1 }]);
  });

  it('stops applying while its SQL thread is stopped, and catches up when it is started', async () => {
    await adminQuery(pair.primary.port, 'CREATE DATABASE IF NOT EXISTS harness_pair');
    await adminQuery(pair.primary.port, 'CREATE TABLE IF NOT EXISTS harness_pair.t (id INT PRIMARY KEY)');
    await pair.stopReplicaSql();
    await adminQuery(pair.primary.port, 'INSERT INTO harness_pair.t VALUES (2)');
    await expect(pair.waitForReplicaCatchUp(1000)).rejects.toThrow(
      /did not reach the primary's GTID position/,
    );
    const [status] = await adminQuery<Record<string, string>>(pair.replica.port, 'SHOW SLAVE STATUS');
    expect(status?.Slave_SQL_Running).toBe('No');
    expect(await adminQuery(pair.replica.port, 'SELECT id FROM harness_pair.t WHERE id = 2')).toEqual([]);

    await pair.startReplicaSql();
    await pair.waitForReplicaCatchUp();
    expect(await adminQuery(pair.replica.port, 'SELECT id FROM harness_pair.t WHERE id = 2')).toEqual([
      { id: 2 },
    ]);
  });
});
