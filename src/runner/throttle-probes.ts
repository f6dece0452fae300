import { sql } from 'kysely';
import type { Target } from '../db/index.ts';

/** One reading of one thing the throttle watches. `reason` is set while it is over its limit. */
export interface ProbeReading {
  readonly reason: string | null;
  /** Replica lag in seconds, for replica probes (null when not a lag reading or unknown). */
  readonly lagSeconds: number | null;
}

/** Something the throttle reads between chunks. `close` ends any connection it opened. */
export interface ThrottleProbe {
  readonly label: string;
  /** What is watched: a replica's lag, a Galera member's flow control, or the target's load. */
  readonly kind: 'replica' | 'galera' | 'load';
  read(): Promise<ProbeReading>;
  close(): Promise<void>;
}

const parseUtc = (text: string) => Date.parse(`${text.replace(' ', 'T')}Z`);

async function statusValues(target: Target, names: readonly string[]): Promise<Map<string, string>> {
  const result = await sql<{ Variable_name: string; Value: string }>`
    SHOW GLOBAL STATUS WHERE Variable_name IN (${sql.join(names)})`.execute(target.db);
  return new Map(result.rows.map((r) => [r.Variable_name.toLowerCase(), r.Value]));
}

export interface ReplicaLagSettings {
  readonly maxLagSeconds: number;
  readonly controlSchema: string;
  readonly runId: string;
}

/**
 * Replica lag as gh-ost measures it: by a heartbeat, not `Seconds_Behind_Master` alone (whole seconds,
 * and NULL exactly when it matters, with the SQL thread stopped). The run's ledger row is beaten on
 * the primary; lag is the primary's clock now minus the beat the replica has applied, both
 * timestamps from the primary's clock, so clock skew does not count. Without the beat on the replica
 * (the ledger filtered out of replication) `Seconds_Behind_Master` is used; with neither, the lag is
 * unknown and counts as over the limit.
 */
export function replicaLagProbe(
  primary: Target,
  replica: Target,
  label: string,
  settings: ReplicaLagSettings,
): ThrottleProbe {
  const status = replica.server.flavour === 'mysql' ? sql`SHOW REPLICA STATUS` : sql`SHOW SLAVE STATUS`;
  return {
    label,
    kind: 'replica',
    async read() {
      const now = await sql<{ now: string }>`SELECT UTC_TIMESTAMP(3) AS now`.execute(primary.db);
      const seen = await sql<{ beat: string }>`
        SELECT heartbeat_at AS beat FROM ${sql.id(settings.controlSchema, 'runs')}
        WHERE id = ${settings.runId}`
        .execute(replica.db)
        .catch(() => ({ rows: [] as { beat: string }[] }));
      const rows = (await sql<Record<string, unknown>>`${status}`.execute(replica.db)).rows;
      const behind = rows[0]?.Seconds_Behind_Master ?? rows[0]?.Seconds_Behind_Source;
      const sqlThread = String(rows[0]?.Slave_SQL_Running ?? rows[0]?.Replica_SQL_Running ?? '');
      const beat = seen.rows[0]?.beat;
      let lag: number | null = null;
      if (beat) lag = Math.max(0, (parseUtc(now.rows[0]!.now) - parseUtc(beat)) / 1000);
      if (behind !== null && behind !== undefined && behind !== '') lag = Math.max(lag ?? 0, Number(behind));
      if (lag === null) {
        const why = sqlThread && sqlThread !== 'Yes' ? `its SQL thread is ${sqlThread}` : 'no heartbeat';
        return { reason: `replica ${label}: lag unknown (${why})`, lagSeconds: null };
      }
      const over = lag > settings.maxLagSeconds;
      return {
        reason: over ? `replica ${label} lags ${lag.toFixed(1)} s > ${settings.maxLagSeconds} s` : null,
        lagSeconds: lag,
      };
    },
    close: () => replica.close(),
  };
}

/** `Threads_running` on the server written to, over `max`. */
export function threadsRunningProbe(target: Target, max: number): ThrottleProbe {
  return {
    label: `${target.description} Threads_running`,
    kind: 'load',
    async read() {
      const n = Number((await statusValues(target, ['Threads_running'])).get('threads_running') ?? 0);
      return { reason: n > max ? `Threads_running ${n} > ${max}` : null, lagSeconds: null };
    },
    close: async () => undefined,
  };
}

export interface FlowControlSettings {
  /** Largest fraction of the time since the last reading the node may have spent paused by flow control. */
  readonly maxPausedFraction: number;
  /** Largest `wsrep_local_recv_queue` (writesets received, not yet applied). */
  readonly maxRecvQueue: number;
}

/**
 * Galera flow control on one member: the share of time it held the cluster's replication paused since
 * the previous reading (`wsrep_flow_control_paused_ns` delta, as pt-online-schema-change's
 * --max-flow-ctl reads it) and its receive queue. A node that is not Synced counts as over.
 */
export function flowControlProbe(
  member: Target,
  label: string,
  settings: FlowControlSettings,
): ThrottleProbe {
  let previous: { pausedNs: bigint; at: bigint } | null = null;
  return {
    label,
    kind: 'galera',
    async read() {
      const status = await statusValues(member, [
        'wsrep_flow_control_paused_ns',
        'wsrep_local_recv_queue',
        'wsrep_local_state_comment',
      ]);
      const at = process.hrtime.bigint();
      const pausedNs = BigInt(status.get('wsrep_flow_control_paused_ns') ?? '0');
      const fraction = previous ? Number(pausedNs - previous.pausedNs) / Number(at - previous.at || 1n) : 0;
      previous = { pausedNs, at };
      const queue = Number(status.get('wsrep_local_recv_queue') ?? 0);
      const state = status.get('wsrep_local_state_comment') ?? 'unknown';
      const reason =
        state !== 'Synced'
          ? `member ${label} is ${state}`
          : fraction > settings.maxPausedFraction
            ? `member ${label} paused by flow control ${(100 * fraction).toFixed(0)} % of the time`
            : queue > settings.maxRecvQueue
              ? `member ${label} receive queue ${queue} > ${settings.maxRecvQueue}`
              : null;
      return { reason, lagSeconds: null };
    },
    close: () => member.close(),
  };
}
