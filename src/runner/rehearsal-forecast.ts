import type { TransactionForecast } from './rehearsal-report.ts';
import type { TransactionLimit } from './rehearsal-server-match.ts';
import type { RunReport } from './report.ts';

/**
 * Each transaction of the rehearsal against the target's limits: its size as the rehearsal's plan
 * estimated it, its rows as the rehearsed apply changed them.
 */
export function forecastTransactions(
  planned: RunReport | null,
  applied: RunReport | null,
  limits: readonly TransactionLimit[],
): TransactionForecast[] {
  return (planned?.transactions ?? []).map((tx) => {
    const step = applied?.steps.find((s) => s.name === tx.name);
    const rows = (step?.operations ?? [])
      .filter((o) => o.kind !== 'verify')
      .reduce((sum, o) => sum + o.deleted + o.inserted + o.updated, 0);
    return Object.freeze({
      name: tx.name,
      estimatedBytes: tx.estimatedBytes,
      rows,
      limits: limits.map((l) => ({
        ...l,
        within: (l.unit === 'bytes' ? tx.estimatedBytes : rows) <= l.value,
      })),
    });
  });
}
