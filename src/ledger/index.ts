export {
  type ArtifactQuery,
  type ArtifactRow,
  insertArtifact,
  listArtifacts,
  markArtifactsDropped,
  type NewArtifact,
} from './artifacts.ts';
export {
  type ClusterIdentity,
  type NodeIdentity,
  readClusterIdentity,
  sameNode,
} from './cluster-identity.ts';
export {
  DEFAULT_CONTROL_SCHEMA,
  ensureLedger,
  LEDGER_VERSION,
  type Ledger,
  ledgerExists,
  openLedger,
} from './control-schema.ts';
export {
  acquireLease,
  describeHolder,
  type HeldLease,
  type LeaseHolder,
  type LeaseRequest,
  readLease,
} from './lease.ts';
export { assertLockHeld, lockName, withLock } from './lock.ts';
export {
  getRun,
  heartbeat,
  insertRun,
  listRuns,
  markInterrupted,
  type NewRun,
  type RunQuery,
  type RunRow,
  type RunUpdate,
  updateRun,
} from './runs.ts';
export { finishStep, listSteps, type StepFinish, type StepRow, type StepStart, startStep } from './steps.ts';
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
