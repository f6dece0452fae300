import { z } from 'zod';

/**
 * The JSON report of a run (`--json`, `runs.report_json`). Versioned: fields are only ever added
 * within a version; a breaking change bumps `reportVersion`. `runReportJsonSchema` is the published
 * JSON Schema of it.
 */
export const RUN_REPORT_VERSION = 1;

const errorReport = z.object({
  name: z.string(),
  message: z.string(),
  hint: z.string().nullable(),
  facts: z.record(z.string(), z.unknown()),
});

const operationReport = z.object({
  kind: z.enum(['purge', 'replaceRows', 'upsertColumns', 'replaceChildren', 'revert', 'verify']),
  table: z.string(),
  name: z.string().nullable(),
  deleted: z.number(),
  inserted: z.number(),
  updated: z.number(),
  /** Rows this operation counts against its gate (changed rows for writes, found rows for verify). */
  rows: z.number(),
  gate: z.string().nullable(),
  estimatedBytes: z.number().nullable(),
  /** Hash of the scoped live rows before the write; apply compares it with the plan's. */
  scopeHash: z.string().nullable(),
  warnings: z.array(z.string()),
});

const columnDrift = z.object({
  column: z.string(),
  differing: z.number(),
  outsideAllowList: z.boolean(),
});

const driftProfile = z.object({
  step: z.string(),
  table: z.string(),
  scopedRows: z.number(),
  differingRows: z.number(),
  allowList: z.array(z.string()).nullable(),
  columns: z.array(columnDrift),
  samples: z.array(
    z.object({
      key: z.record(z.string(), z.unknown()),
      status: z.enum(['changed', 'only-live', 'only-backup']),
      fields: z.array(
        z.object({
          column: z.string(),
          live: z.unknown(),
          backup: z.unknown(),
          textDiff: z.string().nullable(),
        }),
      ),
    }),
  ),
});

const stepReport = z.object({
  seq: z.number(),
  name: z.string(),
  kind: z.enum(['extract', 'scope', 'snapshot', 'transaction', 'chunk', 'manual', 'verify']),
  status: z.enum(['done', 'failed', 'skipped', 'pending', 'awaiting']),
  rows: z.number().nullable(),
  gate: z.string().nullable(),
  durationMs: z.number(),
  sqlDigest: z.string().nullable(),
  note: z.string().nullable(),
  operations: z.array(operationReport),
  error: errorReport.nullable(),
});

const transactionReport = z.object({
  name: z.string(),
  estimatedBytes: z.number(),
  limitBytes: z.number().nullable(),
  atomic: z.boolean(),
  chunks: z.number().nullable(),
  chunksCommitted: z.number().nullable(),
});

const throttleReport = z.object({
  /** The probes read before each chunk (replicas, members, Threads_running). */
  watching: z.array(z.string()),
  maxReplicaLagSeconds: z.number(),
  /** Every wait before a chunk: which limits were exceeded when it began, and for how long it waited. */
  pauses: z.array(z.object({ before: z.string(), reasons: z.array(z.string()), waitedMs: z.number() })),
  /** The largest replica lag any probe read during the run, in seconds. */
  peakLagSeconds: z.number().nullable(),
  /** Replicas that could not be watched, and why. */
  unwatched: z.array(z.string()),
});

const peerAgreement = z.object({
  member: z.string(),
  kind: z.enum(['galera', 'group-replication', 'replica']),
  status: z.enum(['agree', 'differ', 'behind', 'unreachable']),
  detail: z.string().nullable(),
  tables: z.array(z.object({ table: z.string(), expected: z.string(), found: z.string() })),
});

export const runReportSchema = z.object({
  reportVersion: z.literal(RUN_REPORT_VERSION),
  runId: z.string().nullable(),
  moduleId: z.string(),
  title: z.string(),
  mode: z.enum(['plan', 'apply', 'undo']),
  status: z.enum(['done', 'failed', 'awaiting', 'interrupted', 'running']),
  checksum: z.string(),
  /** The OS user who ran it (as the ledger records it); absent in reports written before it was added. */
  operator: z.string().optional(),
  resumedFrom: z.string().nullable(),
  planRunId: z.string().nullable(),
  undoOf: z.string().nullable(),
  forced: z.boolean(),
  target: z.object({
    description: z.string(),
    host: z.string(),
    serverUuid: z.string(),
    schema: z.string(),
    user: z.string(),
    flavour: z.enum(['mysql', 'mariadb']),
    version: z.string(),
  }),
  workspace: z.string(),
  params: z.record(z.string(), z.unknown()),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
  steps: z.array(stepReport),
  transactions: z.array(transactionReport),
  driftProfiles: z.array(driftProfile),
  warnings: z.array(z.string()),
  /** Provenance of each extracted backup, by extract step: file, dump time, GTID set, binlog position… */
  backups: z.record(z.string(), z.unknown()),
  /** How chunked writes were paced; null when nothing was throttled (no replica or member known). */
  throttle: throttleReport.nullable().optional(),
  /** After apply and undo: the touched tables' scoped rows on every cluster member and replica. */
  agreement: z.array(peerAgreement).optional(),
  error: errorReport.nullable(),
});

export type RunReport = Readonly<z.infer<typeof runReportSchema>>;
export type StepReport = z.infer<typeof stepReport>;
export type OperationReport = z.infer<typeof operationReport>;
export type DriftProfileReport = z.infer<typeof driftProfile>;
export type TransactionReport = z.infer<typeof transactionReport>;
export type ErrorReport = z.infer<typeof errorReport>;
export type TargetReport = RunReport['target'];
export type ThrottleReport = z.infer<typeof throttleReport>;
export type PeerAgreementReport = z.infer<typeof peerAgreement>;

/** The JSON Schema (draft 2020-12) of `RunReport`, for scripts that consume `--json`. */
export function runReportJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(runReportSchema) as Record<string, unknown>;
}
