import { describe, expect, it } from 'vitest';
import {
  type ClusterTopology,
  parseAddressList,
  rowsPerWriteset,
  writeLimits,
  writeRefusal,
} from '../../src/db/index.ts';

const standalone: ClusterTopology = {
  galera: null,
  groupReplication: null,
  readOnly: false,
  superReadOnly: false,
  replicas: [],
  source: null,
  unreadable: null,
  replicasUnknown: null,
};

const galera = (localState: string, clusterStatus = 'Primary', rows: number | null = 0): ClusterTopology => ({
  ...standalone,
  galera: {
    localState,
    clusterStatus,
    clusterSize: 3,
    clusterStateUuid: 'u',
    nodeName: 'node2',
    maxWsBytes: 2147483647,
    maxWsRows: rows,
    members: parseAddressList('127.0.0.1:3420,127.0.0.1:3421,127.0.0.1:3422'),
    memberNames: ['node1', 'node2', 'node3'],
  },
});

const group = (role: string, state = 'ONLINE', limit = 150_000_000): ClusterTopology => ({
  ...standalone,
  superReadOnly: role !== 'PRIMARY',
  groupReplication: {
    role,
    state,
    singlePrimary: true,
    groupName: 'g',
    transactionSizeLimit: limit,
    members: [
      { id: 'a', host: 'db-0.cluster', port: 3306, state: 'ONLINE', role: 'PRIMARY' },
      { id: 'b', host: 'db-1.cluster', port: 3306, state: 'ONLINE', role: 'SECONDARY' },
    ],
  },
});

describe('writeRefusal', () => {
  it('lets a standalone writable server, a Synced Primary Galera node and a GR PRIMARY write', () => {
    expect(writeRefusal(standalone, 'db:3306')).toBeNull();
    expect(writeRefusal(galera('Synced'), '127.0.0.1:3421')).toBeNull();
    expect(writeRefusal(group('PRIMARY'), 'db-0.cluster:3306')).toBeNull();
  });

  it('refuses a Group Replication SECONDARY and names the PRIMARY to use', () => {
    const refusal = writeRefusal(group('SECONDARY'), 'db-1.cluster:3306');
    expect(refusal?.name).toBe('MemberNotWritableError');
    expect(refusal?.message).toMatch(/ONLINE SECONDARY, not an ONLINE PRIMARY/);
    expect(refusal?.message).toContain('connect to the primary: db-0.cluster:3306');
  });

  it('refuses a Galera node that is not Synced, or not in the Primary component, naming the other members', () => {
    const donor = writeRefusal(galera('Donor/Desynced'), '127.0.0.1:3421');
    expect(donor?.message).toMatch(/node2 is Donor\/Desynced in a Primary component, expected Synced/);
    expect(donor?.message).toContain('127.0.0.1:3420, 127.0.0.1:3422');
    expect(writeRefusal(galera('Synced', 'non-Primary'), '127.0.0.1:3421')?.message).toMatch(
      /Synced in a non-Primary component/,
    );
    // With wsrep_node_incoming_address = AUTO the addresses are unknown: the node names are not.
    const auto = galera('Joined');
    const named = { ...auto, galera: { ...auto.galera!, members: [] } };
    expect(writeRefusal(named, '127.0.0.1:3421')?.message).toContain('(members: node1, node3)');
  });

  it('refuses a read-only server and names the source it replicates from', () => {
    const replica = { ...standalone, readOnly: true, source: { host: 'primary.db', port: 3306 } };
    expect(writeRefusal(replica, 'replica.db:3306')?.message).toMatch(
      /read-only \(read_only = ON\).*replicates from primary\.db:3306: connect to that one/,
    );
    expect(writeRefusal({ ...standalone, superReadOnly: true }, 'x')?.message).toMatch(
      /super_read_only = ON/,
    );
  });

  it('fails closed: an unreadable topology is refused before anything else, naming the privilege', () => {
    const problem =
      'the group_replication plugin is loaded but performance_schema.replication_group_members is unreadable (denied); grant SELECT ON performance_schema.* to this user';
    const refusal = writeRefusal({ ...standalone, unreadable: problem }, 'db:3306');
    expect(refusal?.message).toContain('cannot tell whether db:3306 may be written to');
    expect(refusal?.message).toContain('grant SELECT ON performance_schema.*');
  });
});

describe('writeLimits', () => {
  it('takes the smallest byte limit of Galera, Group Replication and the cap; 0 means none', () => {
    expect(writeLimits(standalone)).toEqual({ maxBytes: null, maxRows: null, source: null });
    expect(writeLimits(galera('Synced'))).toEqual({
      maxBytes: 2147483647,
      maxRows: null,
      source: 'wsrep_max_ws_size',
    });
    expect(writeLimits(galera('Synced', 'Primary', 1000), 1 << 20)).toEqual({
      maxBytes: 1 << 20,
      maxRows: 1000,
      source: 'maxBytes, wsrep_max_ws_rows',
    });
    expect(writeLimits(group('PRIMARY')).maxBytes).toBe(150_000_000);
    expect(writeLimits(group('PRIMARY', 'ONLINE', 0)).maxBytes).toBeNull();
  });

  it('gives rows per statement with margins: half the row limit, a quarter of the bytes', () => {
    expect(rowsPerWriteset({ maxBytes: null, maxRows: null, source: null }, 100)).toBeNull();
    expect(rowsPerWriteset({ maxBytes: null, maxRows: 1000, source: 'x' }, 100)).toBe(500);
    expect(rowsPerWriteset({ maxBytes: 400_000, maxRows: null, source: 'x' }, 100)).toBe(1000);
    expect(rowsPerWriteset({ maxBytes: 400_000, maxRows: 1000, source: 'x' }, 0)).toBe(500);
    expect(rowsPerWriteset({ maxBytes: 10, maxRows: null, source: 'x' }, 100)).toBe(1);
  });
});

describe('parseAddressList', () => {
  it('reads wsrep_incoming_addresses, IPv6 in brackets, and skips AUTO entries', () => {
    expect(parseAddressList('10.0.0.1:3306,[::1]:3307, AUTO')).toEqual([
      { host: '10.0.0.1', port: 3306 },
      { host: '::1', port: 3307 },
    ]);
    expect(parseAddressList('')).toEqual([]);
  });
});
