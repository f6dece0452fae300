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
