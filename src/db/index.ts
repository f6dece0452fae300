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
  sqlCharsetName,
  supportsInsertRowAlias,
} from './dialect.ts';
export { assertIdentifier, MAX_IDENTIFIER_LENGTH, quoteId, quoteQualified } from './quote.ts';
export {
  type BasicsRow,
  compareVersions,
  type Flavour,
  parseVersion,
  readServerInfo,
  SERVER_VARIABLES,
  type ServerInfo,
  type ServerInfoRows,
  serverInfoFromRows,
  type VariableRow,
} from './server-info.ts';
export { restoreSqlMode } from './sql-mode.ts';
export { splitSqlScript } from './sql-script.ts';
export { TableRef } from './table-ref.ts';
export { SSL_MODES, type SslMode, type TlsSettings } from './tls.ts';
export { assertWritableMember, writeRefusal } from './writable-member.ts';
export { type WriteLimits, writeLimits } from './write-limits.ts';
