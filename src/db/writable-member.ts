import { MemberNotWritableError } from '../errors/index.ts';
import type { ClusterTopology, MemberAddress } from './cluster-topology.ts';

const address = (m: MemberAddress) => `${m.host}:${m.port}`;

/**
 * Why a write must not start on this member, or null when it may. Pure: `assertWritableMember` throws
 * what this returns. Order matters: an unreadable topology is refused before anything else, since
 * every other answer would be a guess.
 */
export function writeRefusal(topology: ClusterTopology, self: string): MemberNotWritableError | null {
  if (topology.unreadable) {
    return new MemberNotWritableError(
      `cannot tell whether ${self} may be written to: ${topology.unreadable}`,
      {
        hint: 'nothing was written; fix the privilege and run again',
        facts: { member: self, problem: topology.unreadable },
      },
    );
  }
  const gr = topology.groupReplication;
  if (gr && (gr.role !== 'PRIMARY' || gr.state !== 'ONLINE')) {
    const primaries = gr.members.filter((m) => m.role === 'PRIMARY' && m.state === 'ONLINE').map(address);
    return new MemberNotWritableError(
      `${self} is a Group Replication ${gr.state} ${gr.role}, not an ONLINE PRIMARY`,
      {
        hint: primaries.length
          ? `nothing was written; connect to the primary: ${primaries.join(', ')}`
          : 'nothing was written; the group shows no ONLINE PRIMARY: wait for it to elect one',
        facts: { member: self, role: gr.role, state: gr.state, primaries },
      },
    );
  }
  const galera = topology.galera;
  if (galera && (galera.localState !== 'Synced' || galera.clusterStatus !== 'Primary')) {
    const others = galera.members.length
      ? galera.members.map(address).filter((m) => !self.includes(m))
      : galera.memberNames.filter((n) => n !== galera.nodeName);
    return new MemberNotWritableError(
      `Galera node ${galera.nodeName || self} is ${galera.localState} in a ${galera.clusterStatus} component, expected Synced in the Primary component`,
      {
        hint: others.length
          ? `nothing was written; connect to a Synced node of the Primary component (members: ${others.join(', ')}), or wait for this one to rejoin`
          : 'nothing was written; wait for the node to rejoin the cluster and reach Synced',
        facts: { member: self, localState: galera.localState, clusterStatus: galera.clusterStatus },
      },
    );
  }
  // A Group Replication member's super_read_only follows its role; that case was answered above.
  if (topology.readOnly || topology.superReadOnly) {
    const flag = topology.superReadOnly ? 'super_read_only' : 'read_only';
    return new MemberNotWritableError(`${self} is read-only (${flag} = ON)`, {
      hint: topology.source
        ? `nothing was written; this server replicates from ${address(topology.source)}: connect to that one`
        : 'nothing was written; connect to the primary, or clear the flag if this server is meant to take writes',
      facts: { member: self, flag, source: topology.source ? address(topology.source) : null },
    });
  }
  return null;
}

/**
 * Throws `MemberNotWritableError` unless this member may be written to (see `writeRefusal`).
 *
 * @example assertWritableMember(await readClusterTopology(target.db, target.server.flavour), target.description);
 */
export function assertWritableMember(topology: ClusterTopology, self: string): void {
  const refusal = writeRefusal(topology, self);
  if (refusal) throw refusal;
}
