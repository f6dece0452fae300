import type { ExtractProgress } from '../sources/index.ts';
import type { StepReport } from './report.ts';

/** What a run tells its caller while it works (the CLI draws progress bars from these). */
export type RunEvent =
  | {
      readonly type: 'run-start';
      readonly runId: string | null;
      readonly moduleId: string;
      readonly mode: string;
    }
  | { readonly type: 'step-start'; readonly name: string; readonly kind: StepReport['kind'] }
  | { readonly type: 'step-progress'; readonly name: string; readonly progress: ExtractProgress }
  | { readonly type: 'step-end'; readonly step: StepReport }
  | { readonly type: 'warning'; readonly message: string }
  | {
      readonly type: 'throttle';
      /** The chunk waiting to start. */
      readonly step: string;
      readonly reasons: readonly string[];
      readonly waitedMs: number;
    }
  | {
      readonly type: 'run-end';
      readonly runId: string;
      readonly moduleId: string;
      readonly mode: string;
      readonly status: string;
      readonly error: { readonly name: string; readonly message: string } | null;
    };

export type RunEventListener = (event: RunEvent) => void;
