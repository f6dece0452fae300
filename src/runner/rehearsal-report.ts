import type { RehearsalTable } from './rehearsal-copy.ts';
import type { ServerDifference, TransactionLimit } from './rehearsal-server-match.ts';
import type { ErrorReport, RunReport, TargetReport } from './report.ts';

/** Checksums of one table of the live copy: as copied, after the apply, after the undo. */
export interface TableChecksums {
  readonly table: string;
  readonly copied: string | null;
  readonly afterApply: string | null;
  readonly afterUndo: string | null;
}

/** One transaction of the rehearsed apply against the target's limits. */
export interface TransactionForecast {
  readonly name: string;
  /** Estimated by the rehearsal's plan (the size apply would send). */
  readonly estimatedBytes: number;
  /** Rows changed by the transaction's writes in the rehearsal. */
  readonly rows: number;
  readonly limits: readonly (TransactionLimit & { readonly within: boolean })[];
}

/**
 * What `rehearse` did and found. `apply` is the forecast of the live run: each step's time and rows;
 * `undoExact` says every table came back to its copied checksum.
 */
export interface RehearsalReport {
  readonly moduleId: string;
  readonly title: string;
  readonly status: 'done' | 'failed';
  readonly target: TargetReport;
  /** The plan on the target whose scopes chose the rows. */
  readonly planRunId: string | null;
  readonly server: {
    readonly provider: string;
    readonly flavour: string;
    readonly version: string;
    /** The live copy's schema there. */
    readonly schema: string;
  };
  readonly differences: readonly ServerDifference[];
  readonly tables: readonly RehearsalTable[];
  readonly rehearsalPlan: RunReport | null;
  readonly apply: RunReport | null;
  readonly undo: RunReport | null;
  readonly checksums: readonly TableChecksums[];
  /** Tables the apply did not write kept their checksums, and every gate and verification held. */
  readonly applyExact: boolean | null;
  /** Every table's checksum after the undo equals its checksum as copied. */
  readonly undoExact: boolean | null;
  readonly transactions: readonly TransactionForecast[];
  readonly limitsSource: string;
  readonly notices: readonly string[];
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly error: ErrorReport | null;
}
