import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import {
  type ClusterTopology,
  connect,
  type MemberAddress,
  parseAddressList,
  type Target,
} from '../db/index.ts';
import { ThrottleTimeoutError } from '../errors/index.ts';
import { heartbeat, type Ledger } from '../ledger/index.ts';
import { unnamedMembers } from './agreement-outcome.ts';
import { atAddress, clusterPeers, isSelf, serverIdentity } from './cluster-peers.ts';
import {
  flowControlProbe,
  replicaLagProbe,
  type ThrottleProbe,
  threadsRunningProbe,
} from './throttle-probes.ts';

/** How a chunked run (apply or undo) paces its commits. Every field is optional. */
export interface ThrottleOptions {
  /** `false` turns throttling off. Default: on when replicas or cluster members are known. */
  readonly enabled?: boolean;
  /** Largest replica lag in seconds before the next chunk waits (default 5). */
  readonly maxReplicaLagSeconds?: number;
  /** Replicas to watch, as connection URLs, besides those the primary reports (`SHOW SLAVE HOSTS`). */
  readonly replicas?: readonly string[];
  /** Largest `Threads_running` on the server written to (default: not checked). */
  readonly maxThreadsRunning?: number;
  /** Largest share of time a Galera member may spend paused by flow control (default 0.5). */
  readonly maxFlowControlPaused?: number;
  /** Largest Galera `wsrep_local_recv_queue` on any member (default 100). */
  readonly maxRecvQueue?: number;
  /** How long one wait may last before the run stops cleanly, resumable (default 600 s). */
  readonly timeoutSeconds?: number;
  /** How often the limits are read while waiting, in ms (default 500). */
  readonly pollMs?: number;
}

/** One wait before a chunk, for the report. */
export interface ThrottlePause {
  readonly before: string;
  readonly reasons: readonly string[];
  readonly waitedMs: number;
}

/** What the report says about throttling: what was watched, every pause, the largest lag seen. */
export interface ThrottleSummary {
  readonly watching: readonly string[];
  readonly maxReplicaLagSeconds: number;
  readonly pauses: readonly ThrottlePause[];
  readonly peakLagSeconds: number | null;
  readonly unwatched: readonly string[];
}

export type ThrottleListener = (event: {
  readonly step: string;
  readonly reasons: readonly string[];
  readonly waitedMs: number;
}) => void;

const DEFAULTS = { lag: 5, flowControl: 0.5, recvQueue: 100, timeoutSeconds: 600, pollMs: 500 };
/** The heartbeat replica lag is measured by; its period bounds the measurement's error. */
const BEAT_MS = 200;

const key = (m: MemberAddress) => `${m.host}:${m.port}`;

const flowSettings = (options: ThrottleOptions) => ({
  maxPausedFraction: options.maxFlowControlPaused ?? DEFAULTS.flowControl,
  maxRecvQueue: options.maxRecvQueue ?? DEFAULTS.recvQueue,
});

/**
 * Paces a chunked run: before each chunk it reads every probe (replica lag, Threads_running, Galera
 * flow control) and waits while any is over its limit, like gh-ost: any one check throttles, the
 * first reasons are shown, and the write load is truly gone while waiting (nothing is held open).
 */
export class Throttle {
  readonly #target: Target;
  readonly #ledger: Ledger;
  readonly #runId: string;
  readonly #options: ThrottleOptions;
  readonly #probes: ThrottleProbe[];
  readonly #members = new Map<string, ThrottleProbe | string>();
  readonly #pauses: ThrottlePause[] = [];
  readonly #unwatched: string[];
  readonly #onPause: ThrottleListener;
  #peakLag: number | null = null;
  readonly #clusterSize: number;
  #beat: NodeJS.Timeout | null = null;

  private constructor(
    target: Target,
    ledger: Ledger,
    runId: string,
    options: ThrottleOptions,
    probes: ThrottleProbe[],
    unwatched: string[],
    onPause: ThrottleListener,
    clusterSize: number,
  ) {
    this.#target = target;
    this.#ledger = ledger;
    this.#runId = runId;
    this.#options = options;
    this.#probes = probes;
    this.#unwatched = unwatched;
    this.#onPause = onPause;
    this.#clusterSize = clusterSize;
  }

  /**
   * Opens the probes for a run on `target`, or returns null when throttling is off (turned off, or
   * nothing to watch). Replicas it cannot connect to are not watched and are listed in the summary.
   */
  static async open(
    target: Target,
    topology: ClusterTopology,
    ledger: Ledger,
    runId: string,
    options: ThrottleOptions,
    onPause: ThrottleListener,
  ): Promise<Throttle | null> {
    if (options.enabled === false) return null;
    const probes: ThrottleProbe[] = [];
    const unwatched: string[] = [];
    const lagSettings = {
      maxLagSeconds: options.maxReplicaLagSeconds ?? DEFAULTS.lag,
      controlSchema: ledger.schema,
      runId,
    };
    const replicaPeers = clusterPeers(target, topology, options.replicas).filter((p) => p.kind === 'replica');
    const seen = new Set<string>([await serverIdentity(target)]);
    for (const replica of replicaPeers) {
      try {
        const connected = await connect(replica.connection, { connectionLimit: 1 });
        const id = await serverIdentity(connected);
        if (seen.has(id)) {
          await connected.close();
          continue;
        }
        seen.add(id);
        // A URL may name another node of this Galera cluster: its flow control is what to watch.
        const sameCluster =
          topology.galera !== null &&
          connected.topology.galera?.clusterStateUuid === topology.galera.clusterStateUuid;
        probes.push(
          sameCluster
            ? flowControlProbe(connected, replica.label, flowSettings(options))
            : replicaLagProbe(target, connected, replica.label, lagSettings),
        );
      } catch (error) {
        unwatched.push(`${replica.label}: ${(error as Error).message}`);
      }
    }
    if (topology.replicasUnknown && !options.replicas?.length) unwatched.push(topology.replicasUnknown);
    if (options.maxThreadsRunning !== undefined)
      probes.push(threadsRunningProbe(target, options.maxThreadsRunning));
    const size = topology.galera?.clusterSize ?? 0;
    const throttle = new Throttle(target, ledger, runId, options, probes, unwatched, onPause, size);
    if (topology.galera) for (const m of topology.galera.members) await throttle.#member(m);
    const unknown = unnamedMembers(topology, [
      ...probes.map((p) => ({ kind: p.kind })),
      ...[...throttle.#members.keys()].map(() => ({ kind: 'galera' })),
    ]);
    if (unknown) unwatched.push(unknown);
    // The member written to is in the cluster too: its own receive queue and flow control count.
    if (topology.galera && throttle.#members.size === 0)
      probes.push({
        ...flowControlProbe(target, target.description, flowSettings(options)),
        close: async () => undefined,
      });
    if (probes.length === 0 && throttle.#members.size === 0) return null;
    if (probes.some((p) => p.kind === 'replica')) throttle.#startBeat();
    return throttle;
  }

  /** Waits until every limit holds, or throws `ThrottleTimeoutError` (nothing of the chunk ran yet). */
  async beforeChunk(step: string): Promise<void> {
    const timeoutMs = (this.#options.timeoutSeconds ?? DEFAULTS.timeoutSeconds) * 1000;
    const started = performance.now();
    let reasons = await this.#reasons();
    let first: readonly string[] = reasons;
    while (reasons.length > 0) {
      const waitedMs = Math.round(performance.now() - started);
      this.#onPause({ step, reasons, waitedMs });
      if (waitedMs >= timeoutMs) {
        this.#pauses.push(Object.freeze({ before: step, reasons: first, waitedMs }));
        throw new ThrottleTimeoutError(
          `waited ${Math.round(waitedMs / 1000)} s before ${step} and the limits still do not hold: ${reasons.join('; ')}`,
          {
            hint: 'nothing of this chunk was written and every earlier chunk is committed; once the cause is gone, continue with --resume (or raise --throttle-timeout / --max-replica-lag)',
            facts: { step, reasons, waitedMs },
          },
        );
      }
      await sleep(this.#options.pollMs ?? DEFAULTS.pollMs);
      reasons = await this.#reasons();
      if (first.length === 0) first = reasons;
    }
    const waitedMs = Math.round(performance.now() - started);
    if (first.length > 0) this.#pauses.push(Object.freeze({ before: step, reasons: first, waitedMs }));
  }

  summary(): ThrottleSummary {
    return Object.freeze({
      watching: Object.freeze([...this.#probes.map((p) => p.label), ...this.#members.keys()]),
      maxReplicaLagSeconds: this.#options.maxReplicaLagSeconds ?? DEFAULTS.lag,
      pauses: Object.freeze([...this.#pauses]),
      peakLagSeconds: this.#peakLag,
      unwatched: Object.freeze([...this.#unwatched]),
    });
  }

  async close(): Promise<void> {
    if (this.#beat) clearInterval(this.#beat);
    for (const probe of [...this.#probes, ...this.#members.values()])
      if (typeof probe !== 'string') await probe.close().catch(() => undefined);
  }

  /** Whether the member written to counts fewer nodes in its component than when the run began. */
  async #componentShrank(): Promise<boolean> {
    const size = Number(
      (await sql<{ Value: string }>`SHOW GLOBAL STATUS LIKE 'wsrep_cluster_size'`.execute(this.#target.db))
        .rows[0]?.Value ?? 0,
    );
    return size < this.#clusterSize;
  }

  #startBeat(): void {
    const beat = () => void heartbeat(this.#ledger, this.#runId).catch(() => undefined);
    beat();
    this.#beat = setInterval(beat, BEAT_MS);
    this.#beat.unref();
  }

  async #member(address: MemberAddress): Promise<ThrottleProbe | string> {
    const id = key(address);
    const known = this.#members.get(id);
    if (known && typeof known !== 'string') return known;
    const settings = flowSettings(this.#options);
    let probe: ThrottleProbe | string;
    try {
      // The member written to is read on the run's own pool, which the probe must not close.
      probe = isSelf(this.#target, address)
        ? { ...flowControlProbe(this.#target, id, settings), close: async () => undefined }
        : flowControlProbe(
            await connect(atAddress(this.#target.options, address), { connectionLimit: 1 }),
            id,
            settings,
          );
    } catch (error) {
      probe = `member ${id} unreachable (${(error as Error).message})`;
    }
    this.#members.set(id, probe);
    return probe;
  }

  async #reasons(): Promise<string[]> {
    const reasons: string[] = [];
    for (const probe of [...this.#probes]) {
      try {
        const reading = await probe.read();
        if (reading.lagSeconds !== null) this.#peakLag = Math.max(this.#peakLag ?? 0, reading.lagSeconds);
        if (reading.reason) reasons.push(reading.reason);
      } catch (error) {
        const message = `${probe.label} unreadable (${(error as Error).message})`;
        if (probe.kind === 'galera' && (await this.#componentShrank())) {
          // The node left the cluster (Galera evicted it): the writes no longer wait for it, so neither
          // does the run; the summary says it was not watched from here on.
          this.#unwatched.push(`${message}; it left the cluster, no longer watched`);
          this.#probes.splice(this.#probes.indexOf(probe), 1);
          await probe.close().catch(() => undefined);
        } else reasons.push(message);
      }
    }
    if (this.#members.size > 0) {
      // Galera evicts a dead or departed node from the component within seconds; the members the
      // cluster reports now are the ones whose flow control matters.
      const status = await sql<{ Value: string }>`
        SHOW GLOBAL STATUS LIKE 'wsrep_incoming_addresses'`.execute(this.#target.db);
      for (const address of parseAddressList(status.rows[0]?.Value ?? '')) {
        const probe = await this.#member(address);
        if (typeof probe === 'string') {
          reasons.push(probe);
          this.#members.delete(key(address));
          continue;
        }
        try {
          const reading = await probe.read();
          if (reading.reason) reasons.push(reading.reason);
        } catch (error) {
          reasons.push(`member ${probe.label} unreadable (${(error as Error).message})`);
          await probe.close().catch(() => undefined);
          this.#members.delete(key(address));
        }
      }
    }
    return reasons;
  }
}
