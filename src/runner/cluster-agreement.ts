import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { type ClusterTopology, connect, TableRef, type Target } from '../db/index.ts';
import { hashRows, type UndoRecord } from '../primitives/index.ts';
import { type ClusterPeer, clusterPeers, serverIdentity } from './cluster-peers.ts';

/** One touched table's scoped rows on one peer, compared with the server written to. */
export interface TableAgreement {
  readonly table: string;
  /**
   * The rows at the writes' keys on the server written to: their count, and a digest of the
   * `hashRows` of each write's keys (a chunked write has one per chunk).
   */
  readonly expected: string;
  readonly found: string;
}

export interface PeerAgreement {
  readonly member: string;
  readonly kind: ClusterPeer['kind'];
  /** `agree`: every table matched; `differ`: some did not; `behind`: it did not catch up in time; `unreachable`. */
  readonly status: 'agree' | 'differ' | 'behind' | 'unreachable';
  readonly detail: string | null;
  readonly tables: readonly TableAgreement[];
}

export interface AgreementOptions {
  readonly replicas?: readonly string[];
  /** How long a peer may take to catch up with the writes (default 60 s). */
  readonly catchUpSeconds?: number;
}

interface Checked {
  readonly table: TableRef;
  readonly keys: TableRef;
  readonly primaryKey: readonly string[];
}

const tablesOf = (checks: readonly Checked[]) => [...new Set(checks.map((c) => c.table.toString()))];

/** The distinct (table, keys) pairs the writes touched: what every peer must hold the same of. */
function touched(records: readonly UndoRecord[]): readonly Checked[] {
  const seen = new Map<string, Checked>();
  for (const r of records) {
    const table = new TableRef(r.table.schema, r.table.name);
    const keys = new TableRef(r.keys.schema, r.keys.name);
    seen.set(`${table}\0${keys}`, { table, keys, primaryKey: r.primaryKey });
  }
  return [...seen.values()];
}

/** One fingerprint per touched table, in the order of `tables`. */
async function hashes(
  db: Kysely<any>,
  tables: readonly string[],
  checks: readonly Checked[],
): Promise<string[]> {
  const per = new Map<string, string[]>();
  for (const c of checks) {
    const hash = await hashRows(db, c.table, { table: c.keys, columns: c.primaryKey });
    per.set(c.table.toString(), [...(per.get(c.table.toString()) ?? []), hash]);
  }
  return tables.map((t) => {
    const parts = per.get(t) ?? [];
    const rows = parts.reduce((sum, h) => sum + Number(h.split(':')[0]), 0);
    return `${rows}:${createHash('sha256').update(parts.join(',')).digest('hex').slice(0, 16)}`;
  });
}

/**
 * Where the writes stand in the primary's history: the GTID set (MySQL) or binlog position (MariaDB) a
 * replica must have applied before its rows can be compared. Null without binary logging.
 */
async function position(target: Target): Promise<string | null> {
  const text =
    target.server.flavour === 'mysql'
      ? sql`SELECT @@GLOBAL.gtid_executed AS p`
      : sql`SELECT @@GLOBAL.gtid_binlog_pos AS p`;
  const result = await sql<{ p: string | null }>`${text}`.execute(target.db).catch(() => null);
  const value = result?.rows[0]?.p;
  return value ? String(value) : null;
}

/**
 * Waits on `db` (a pinned session on the peer) until it has applied `gtid`: Galera by a causal read
 * (`wsrep_sync_wait`), MySQL by `WAIT_FOR_EXECUTED_GTID_SET`, MariaDB by `MASTER_GTID_WAIT`. Returns
 * false when the peer did not get there within `seconds`.
 */
async function catchUp(
  db: Kysely<any>,
  peer: Target,
  kind: ClusterPeer['kind'],
  gtid: string | null,
  seconds: number,
) {
  if (kind === 'galera') {
    // 1 = READ: the following reads wait until the node has applied everything committed before them.
    await sql`SET SESSION wsrep_sync_wait = 1`.execute(db);
    return true;
  }
  if (gtid === null) return true;
  if (peer.server.flavour === 'mysql') {
    const r = await sql<{
      w: number | string;
    }>`SELECT WAIT_FOR_EXECUTED_GTID_SET(${gtid}, ${seconds}) AS w`.execute(db);
    return Number(r.rows[0]?.w) === 0;
  }
  const r = await sql<{ w: number | string }>`SELECT MASTER_GTID_WAIT(${gtid}, ${seconds}) AS w`.execute(db);
  return Number(r.rows[0]?.w) === 0;
}

async function checkPeer(
  peer: ClusterPeer,
  clusterUuid: string | null,
  seen: Set<string>,
  checks: readonly Checked[],
  expected: readonly string[],
  gtid: string | null,
  seconds: number,
): Promise<PeerAgreement | null> {
  const tables = tablesOf(checks);
  let connected: Target;
  try {
    connected = await connect(peer.connection, { connectionLimit: 1 });
  } catch (error) {
    return unreachable(peer, error);
  }
  try {
    // The server written to, or a peer listed twice (a member also named with --replica).
    const identity = await serverIdentity(connected);
    if (seen.has(identity)) return null;
    seen.add(identity);
    // A URL the operator gave may name a node of the same Galera cluster: it catches up as one.
    const kind =
      clusterUuid !== null && connected.topology.galera?.clusterStateUuid === clusterUuid
        ? 'galera'
        : peer.kind;
    return await connected.db.connection().execute(async (db) => {
      if (!(await catchUp(db, connected, kind, gtid, seconds))) {
        return {
          member: peer.label,
          kind,
          status: 'behind' as const,
          detail: `had not applied ${gtid} after ${seconds} s`,
          tables: [],
        };
      }
      const found = await hashes(db, tables, checks);
      const compared = tables.map((table, i) => ({ table, expected: expected[i]!, found: found[i]! }));
      const differ = compared.filter((t) => t.expected !== t.found);
      return {
        member: peer.label,
        kind,
        status: differ.length ? ('differ' as const) : ('agree' as const),
        detail: differ.length ? `differs in ${differ.map((t) => t.table).join(', ')}` : null,
        tables: compared,
      };
    });
  } catch (error) {
    return unreachable(peer, error);
  } finally {
    await connected.close().catch(() => undefined);
  }
}

/**
 * Compares the scoped rows of every table the writes touched on every cluster member and replica with
 * the server written to, after each has caught up. Order-independent row hashes at the writes' keys
 * (the keys tables live in the workspace, which replicates with the data), so nothing is transferred.
 *
 * @example
 * const peers = await checkAgreement(target, target.topology, records, { replicas: ['mysql://…'] });
 * if (peers.some((p) => p.status === 'differ')) throw …;
 */
export async function checkAgreement(
  target: Target,
  topology: ClusterTopology,
  records: readonly UndoRecord[],
  options: AgreementOptions = {},
): Promise<readonly PeerAgreement[]> {
  const peers = clusterPeers(target, topology, options.replicas);
  const checks = touched(records);
  if (peers.length === 0 || checks.length === 0) return Object.freeze([]);
  const expected = await hashes(target.db, tablesOf(checks), checks);
  const gtid = await position(target);
  const out: PeerAgreement[] = [];
  const seen = new Set([await serverIdentity(target)]);
  for (const peer of peers) {
    const clusterUuid = topology.galera?.clusterStateUuid ?? null;
    const result = await checkPeer(
      peer,
      clusterUuid,
      seen,
      checks,
      expected,
      gtid,
      options.catchUpSeconds ?? 60,
    );
    if (result) out.push(Object.freeze(result));
  }
  return Object.freeze(out);
}

/** A peer rowback could not connect to or read: a warning in the report, never a failed run. */
function unreachable(peer: ClusterPeer, error: unknown): PeerAgreement {
  return {
    member: peer.label,
    kind: peer.kind,
    status: 'unreachable',
    detail: (error as Error).message,
    tables: [],
  };
}
