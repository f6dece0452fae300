export {
  type ColumnDrift,
  type ColumnDriftOptions,
  type ColumnDriftProfile,
  columnDriftProfile,
} from './column-drift.ts';
export {
  type DifferingKey,
  type DiffResult,
  type DiffTablesOptions,
  diffKeys,
  diffTables,
  type FieldDiff,
  type RowDiff,
} from './diff-tables.ts';
export {
  type CountExpectation,
  checkGate,
  describeExpectation,
  type Expectation,
  expectationHolds,
} from './expectation.ts';
export { childForeignKeys, type ForeignKey, parentsFirst, readForeignKeys } from './foreign-keys.ts';
export {
  type PurgeScopeWriteOptions,
  type PurgeWhereWriteOptions,
  type PurgeWriteOptions,
  purge,
  purgeSpec,
} from './purge.ts';
export {
  type ReplaceChildrenWriteOptions,
  replaceChildren,
  replaceChildrenSpec,
} from './replace-children.ts';
export { type ReplaceRowsWriteOptions, replaceRows, replaceRowsSpec } from './replace-rows.ts';
export { type HashKeys, type HashRowsOptions, hashRows, rowFingerprintSql } from './row-hash.ts';
export {
  assertNoSchemaDrift,
  checkSchemaDrift,
  compareSchemas,
  describeDifference,
  normalizeColumnType,
  type SchemaDifference,
  type SchemaDriftOptions,
} from './schema-drift.ts';
export {
  executeWithParams,
  type MaterializeScopeOptions,
  materializeScope,
  type ScopeKeys,
  type ScopeKeyValue,
  scopeKeysInsertSql,
} from './scope.ts';
export { applyWrites, type WriteOptions, type WriteResult, type WriteSpec } from './scoped-write.ts';
export { setSqlMode, useRestoreSqlMode } from './session-mode.ts';
export { countSnapshotRows, type SnapshotTablesOptions, snapshot } from './snapshot.ts';
export { splitScope } from './split-scope.ts';
export { type StagedRows, type StageScopedRowsOptions, stageScopedRows } from './stage-scoped-rows.ts';
export {
  type ColumnInfo,
  readKeyedTable,
  readTableMetadata,
  requireColumn,
  resolveTable,
  type TableMetadata,
  writableColumns,
} from './table-metadata.ts';
export { readTriggers, type TriggerInfo } from './triggers.ts';
export type { ArtifactRecord, ArtifactRecorder, Scope, Workspace, WriteContext } from './types.ts';
export type { TableName, UndoKind, UndoRecord, WriteKind } from './undo-record.ts';
export { type UndoWritesOptions, type UndoWritesResult, undoWrites } from './undo-writes.ts';
export { type UpsertColumnsWriteOptions, upsertColumns, upsertColumnsSpec } from './upsert-columns.ts';
export { type VerifyQueryOptions, verifyQuery } from './verify-query.ts';
export { openWorkspace, type WorkspaceOptions } from './workspace.ts';
export { workspaceSchemaName, workspaceTableName } from './workspace-names.ts';
export { type CheckedWrite, checkWriteIdentifiers, type WriteIdentifiers } from './write-identifiers.ts';
export {
  checkWriteSize,
  estimateWriteBytes,
  transactionSizeLimit,
  type WriteSizeEstimate,
  type WriteSizeOptions,
} from './write-size.ts';
