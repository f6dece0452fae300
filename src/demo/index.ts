/**
 * The WPCA UID-collision incident, built on demand: what `rowback demo` and the restore module's tests
 * run against. See fixtures/incidents/wpca-small/README.md.
 */
export { type BuildIncidentOptions, buildIncident } from './build-incident.ts';
export type { ExpectedState, Incident, IncidentPhase, Row } from './incident.ts';
export {
  type ChangeKind,
  DEFAULT_IMPORT_BATCH,
  IMPORTER_META_KEYS,
  IMPORTER_USER_COLUMNS,
  type IncidentPlan,
  type LegitimateChange,
  MIGRATION_BATCH,
  MIN_USERS,
  planIncident,
  TIMELINE,
} from './incident-plan.ts';
export { findMysqldump, MYSQLDUMP_FLAGS } from './mysqldump.ts';
export { encodeBasename } from './shell-dump/basename.ts';
export { parseTsvField, tsvField } from './shell-dump/tsv.ts';
export {
  type ShellDumpOptions,
  type ShellDumpResult,
  writeShellDump,
} from './shell-dump/write-shell-dump.ts';
