import { getRun, type Ledger, listRuns, listSteps, type RunRow, type StepRow } from '../ledger/index.ts';
import type { UndoRecord } from '../primitives/index.ts';

/** The run and the runs it resumed, newest first (their writes belong to the same apply). */
export function resumeChain(runs: readonly RunRow[], run: RunRow): string[] {
  const chain: string[] = [];
  let current: RunRow | undefined = run;
  while (current) {
    chain.push(current.id);
    const from: string | null = current.resumed_from;
    current = from ? runs.find((r) => r.id === from) : undefined;
  }
  return chain;
}

/** The writes one committed step recorded (a transaction, or one chunk of a chunked one). */
export interface StepUndo {
  readonly step: StepRow;
  readonly records: readonly UndoRecord[];
}

/** Every done step of the runs `chain` that recorded writes, in the order they committed. */
export async function undoRecordsByStep(
  ledger: Ledger,
  chain: readonly string[],
): Promise<readonly StepUndo[]> {
  const out: StepUndo[] = [];
  for (const step of await listSteps(ledger, chain)) {
    if (step.status !== 'done' || !step.detail_json) continue;
    const detail = (JSON.parse(step.detail_json) as { detail?: { undo?: UndoRecord[] } }).detail;
    if (detail?.undo?.length) out.push(Object.freeze({ step, records: Object.freeze(detail.undo) }));
  }
  return Object.freeze(out);
}

/** The writes of apply run `runId` and of the runs it resumed, in commit order. */
export async function writesOfRun(ledger: Ledger, runId: string): Promise<readonly UndoRecord[]> {
  const run = await getRun(ledger, runId);
  if (!run) return [];
  const chain = resumeChain(await listRuns(ledger, { moduleId: run.module_id }), run);
  return (await undoRecordsByStep(ledger, chain)).flatMap((s) => s.records);
}
