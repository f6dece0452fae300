import type { ClusterTopology, Target } from '../db/index.ts';
import { ClusterAgreementError } from '../errors/index.ts';
import type { UndoRecord } from '../primitives/index.ts';
import { checkAgreement, type PeerAgreement } from './cluster-agreement.ts';

export interface AgreementOutcome {
  readonly peers: readonly PeerAgreement[];
  /** Peers that could not be checked (a node that left the cluster): said, not failed. */
  readonly warnings: readonly string[];
  /** Set when a peer differs or did not catch up: the run's final verification fails. */
  readonly error: ClusterAgreementError | null;
}

/**
 * The final verification of an apply or undo on a cluster: every member and replica holds the same
 * scoped rows as the server written to. A difference, or a peer that never caught up, is an error;
 * an unreachable peer a warning (its rows cannot be compared, which is not a difference).
 */
export async function agreementOutcome(
  target: Target,
  topology: ClusterTopology,
  records: readonly UndoRecord[],
  replicas: readonly string[] | undefined,
): Promise<AgreementOutcome> {
  const peers = await checkAgreement(target, topology, records, replicas ? { replicas } : {});
  const warnings = peers
    .filter((p) => p.status === 'unreachable')
    .map((p) => `could not compare the written rows on ${p.member} (${p.kind}): ${p.detail}`);
  const unknown = unnamedMembers(topology, peers);
  if (unknown) warnings.push(unknown);
  const bad = peers.filter((p) => p.status === 'differ' || p.status === 'behind');
  const error = bad.length
    ? new ClusterAgreementError(
        `the written rows are not the same on every member: ${bad.map((p) => `${p.member} ${p.status === 'differ' ? p.detail : `is behind (${p.detail})`}`).join('; ')}`,
        {
          hint: "the writes are committed on the server written to; see the report's agreement section for the hashes, check that replica (replication errors, filters, writes made on it), then run again with --resume to compare once more",
          facts: { peers: bad.map((p) => ({ member: p.member, status: p.status, tables: p.tables })) },
        },
      )
    : null;
  return Object.freeze({ peers, warnings: Object.freeze(warnings), error });
}

/**
 * Galera nodes whose rows nobody compared: with `wsrep_node_incoming_address` left at AUTO a node does
 * not tell the others' SQL addresses, so only nodes named with `--replica` are checked.
 */
export function unnamedMembers(
  topology: ClusterTopology,
  peers: readonly { readonly kind: string; readonly status?: string }[],
): string | null {
  const size = topology.galera?.clusterSize ?? 0;
  // An unreachable peer was named, just not reached (a node that is down may well be a member).
  const known = peers.filter((p) => p.kind === 'galera' || p.status === 'unreachable').length;
  if (size <= 1 || known >= size - 1) return null;
  return `the Galera cluster has ${size} nodes and ${known} other(s) were named: nodes do not tell their SQL addresses (wsrep_node_incoming_address = AUTO); name the others with --replica URL to watch and compare them`;
}
