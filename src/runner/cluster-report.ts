import type { PeerAgreement } from './cluster-agreement.ts';
import type { PeerAgreementReport, ThrottleReport } from './report.ts';
import type { Throttle } from './throttle.ts';

/** The report's `throttle` section: null when the run had nothing to throttle on. */
export function throttleReport(throttle: Throttle | null): ThrottleReport | null {
  if (!throttle) return null;
  const s = throttle.summary();
  return {
    watching: [...s.watching],
    maxReplicaLagSeconds: s.maxReplicaLagSeconds,
    pauses: s.pauses.map((p) => ({ before: p.before, reasons: [...p.reasons], waitedMs: p.waitedMs })),
    peakLagSeconds: s.peakLagSeconds,
    unwatched: [...s.unwatched],
  };
}

/** The report's `agreement` section. */
export function agreementReport(peers: readonly PeerAgreement[]): PeerAgreementReport[] {
  return peers.map((p) => ({ ...p, tables: p.tables.map((t) => ({ ...t })) }));
}
