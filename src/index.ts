/**
 * rowback: surgical, migration-style data restores on live MySQL and MariaDB.
 *
 * @example
 * import { connect } from 'rowback';
 * const target = await connect('mysql://root@127.0.0.1:3306/wordpress');
 */
export { sql } from 'kysely';
export * from './db/index.ts';
export * from './errors/index.ts';
export * from './ledger/index.ts';
export * from './primitives/index.ts';
export { renderRehearsalHtml, renderReportHtml } from './report-html/index.ts';
export type { PeerAgreement } from './runner/cluster-agreement.ts';
export {
  defineRestore,
  type RestoreDefinition,
  type RestoreModule,
  type RunbookText,
  validateParams,
} from './runner/define-restore.ts';
export { type GcResult, gc } from './runner/gc.ts';
export { renderRehearsalMarkdown } from './runner/rehearsal-markdown.ts';
export type { RehearsalReport } from './runner/rehearsal-report.ts';
export { type RehearsalServer, type RehearseOptions, rehearse } from './runner/rehearse.ts';
export { renderRunbook } from './runner/render-runbook.ts';
export { type RunReport, runReportJsonSchema, runReportSchema } from './runner/report.ts';
export { renderReportMarkdown } from './runner/report-markdown.ts';
export type * from './runner/restore-api.ts';
export { type ApplyOptions, apply, plan, type RunOptions } from './runner/run-restore.ts';
export type { StandardSchemaV1 } from './runner/standard-schema.ts';
export { type RunSummary, status } from './runner/status.ts';
export { type StoredReportOptions, storedReport } from './runner/stored-report.ts';
export type { ThrottleOptions, ThrottlePause, ThrottleSummary } from './runner/throttle.ts';
export { type UndoOptions, undo } from './runner/undo-run.ts';
export * from './sources/index.ts';
