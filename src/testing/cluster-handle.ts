import type { Flavour } from '../db/index.ts';

/** One server of a test cluster or replica pair. */
export interface ClusterNode {
  /** `node1`, `node2`, … for Galera; `primary` / `replica` for a replica pair. */
  readonly name: string;
  /** `mysql://root@127.0.0.1:PORT`, no default schema. */
  readonly url: string;
  readonly port: number;
  /** `@@server_id`, distinct per node (MariaDB has no `@@server_uuid`; rowback names nodes by it). */
  readonly serverId: number;
  readonly errorLog: string;
  /** SIGKILL, as a crash would; resolves once the process is gone. */
  kill(): Promise<void>;
  /**
   * Starts a killed node again; a Galera node rejoins (IST or SST) and the promise resolves when it
   * is Synced and the cluster counts it again.
   */
  start(): Promise<void>;
}

/** What every topology's handle has: the nodes, and `stop()` / `await using` that removes them all. */
export interface ClusterHandle extends AsyncDisposable {
  readonly topology: 'galera' | 'replica-pair';
  readonly nodes: readonly ClusterNode[];
  readonly flavour: Flavour;
  readonly version: string;
  stop(): Promise<void>;
}

/** A MariaDB Galera cluster on loopback; see `startGaleraCluster`. */
export interface GaleraClusterHandle extends ClusterHandle {
  readonly topology: 'galera';
  /** `wsrep_cluster_name`, unique per started cluster. */
  readonly clusterName: string;
  /**
   * Waits until every node that runs is Synced and sees a cluster of that many nodes (after a kill,
   * the survivors' view shrinks; after a `start()`, it grows back).
   */
  waitUntilSynced(timeoutMs?: number): Promise<void>;
}

/** A GTID primary → replica pair; see `startReplicaPair`. */
export interface ReplicaPairHandle extends ClusterHandle {
  readonly topology: 'replica-pair';
  readonly primary: ClusterNode;
  /** Read-only (`read_only=ON`) as replicas are run; replication's own thread still applies. */
  readonly replica: ClusterNode;
  /** `STOP SLAVE SQL_THREAD`: events keep arriving, nothing is applied, so lag grows. */
  stopReplicaSql(): Promise<void>;
  /** `START SLAVE SQL_THREAD`. */
  startReplicaSql(): Promise<void>;
  /** Waits until the replica has applied everything the primary had written when called. */
  waitForReplicaCatchUp(timeoutMs?: number): Promise<void>;
}
