import type { RunReport } from './report.ts';

/**
 * What an apply that did not finish left in live data, in one sentence. A failed step's own
 * transaction is rolled back, but the transactions (and chunks) that committed before it stay: a
 * gate that fails after a committed transaction does not take it back.
 *
 * @example committedWrites(report) // 'Live data: committed before the failure and kept: restore. …'
 */
export function committedWrites(report: RunReport): string {
  const committing = report.steps.filter((s) => s.kind === 'transaction' || s.kind === 'chunk');
  const now = committing.filter((s) => s.status === 'done').map((s) => s.name);
  const earlier = committing.filter((s) => s.status === 'skipped').map((s) => s.name);
  if (report.mode !== 'apply' || (now.length === 0 && earlier.length === 0)) {
    return 'Live data: no transaction was committed; nothing was written to live data.';
  }
  const parts = [
    ...(now.length ? [`by this run (${report.runId}): ${now.join(', ')}`] : []),
    ...(earlier.length ? [`by run ${report.resumedFrom} (resumed): ${earlier.join(', ')}`] : []),
  ];
  return `Live data: committed before the failure and kept, ${parts.join('; ')}. The failed step's own transaction was rolled back; \`rowback undo <run>\` puts a run's committed writes back.`;
}
