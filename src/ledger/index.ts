export { DEFAULT_CONTROL_SCHEMA, ensureLedger, LEDGER_VERSION, type Ledger } from './control-schema.ts';
export { lockName, withLock } from './lock.ts';
export type {
  ArtifactKind,
  ArtifactsTable,
  LedgerDatabase,
  RunMode,
  RunStatus,
  RunsTable,
  StepStatus,
  StepsTable,
} from './tables.ts';
