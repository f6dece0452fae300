export { AlreadyAppliedError } from './already-applied-error.ts';
export { BinlogSettingError, type BinlogSettingFacts } from './binlog-setting-error.ts';
export { CertificationConflictError } from './certification-conflict-error.ts';
export { ClusterAgreementError } from './cluster-agreement-error.ts';
export { DriftSincePlanError } from './drift-since-plan-error.ts';
export { ForeignKeyError } from './foreign-key-error.ts';
export { GateError } from './gate-error.ts';
export { KeyConflictError } from './key-conflict-error.ts';
export { LockError } from './lock-error.ts';
export { ManualStepPendingError } from './manual-step-pending-error.ts';
export { MemberNotWritableError } from './member-not-writable-error.ts';
export { RehearsalMismatchError } from './rehearsal-mismatch-error.ts';
export { RehearsalScopeError } from './rehearsal-scope-error.ts';
export { RevertConflictError } from './revert-conflict-error.ts';
export {
  type ErrorFacts,
  isErrorNamed,
  isRowbackError,
  RowbackError,
  type RowbackErrorOptions,
} from './rowback-error.ts';
export { SchemaDriftError } from './schema-drift-error.ts';
export { ServerStartError } from './server-start-error.ts';
export { SizeLimitError } from './size-limit-error.ts';
export { SourceError } from './source-error.ts';
export { ThrottleTimeoutError } from './throttle-timeout-error.ts';
export { TlsError } from './tls-error.ts';
export { UndoConflictError } from './undo-conflict-error.ts';
export { UnknownRunError } from './unknown-run-error.ts';
export { UsageError } from './usage-error.ts';
