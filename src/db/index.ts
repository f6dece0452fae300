export { averageRowBytes, type CopySpec, copyRows, rowsPerWriteset } from './chunked-copy.ts';
export {
  type ClusterTopology,
  clusterActive,
  type GaleraState,
  type GroupMember,
  type GroupReplicationState,
  type MemberAddress,
  parseAddressList,
  readClusterTopology,
  requiresPrimaryKeys,
} from './cluster-topology.ts';
export { type ConnectSettings, connect, poolOptions, type Target } from './connect.ts';
export {
  type ConnectionOptions,
  describeConnection,
  formatConnectionUrl,
  parseConnectionUrl,
  redactUrl,
} from './connection-url.ts';
export {
  type DialectInfo,
  GENERATED_COLUMN_CONDITION,
  insertValuesUpsert,
  isInvisibleExtra,
  supportsInsertRowAlias,
} from './dialect.ts';
export { assertIdentifier, MAX_IDENTIFIER_LENGTH, quoteId, quoteQualified } from './quote.ts';
export {
  compareVersions,
  type Flavour,
  parseVersion,
  readServerInfo,
  type ServerInfo,
} from './server-info.ts';
export { restoreSqlMode } from './sql-mode.ts';
export { splitSqlScript } from './sql-script.ts';
export { TableRef } from './table-ref.ts';
export { assertWritableMember, writeRefusal } from './writable-member.ts';
export { type WriteLimits, writeLimits } from './write-limits.ts';
