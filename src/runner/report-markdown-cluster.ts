import type { RunReport } from './report.ts';

/** The report's throttle and agreement sections for people (nothing on a standalone server). */
export function clusterSections(report: RunReport): string[] {
  const out: string[] = [];
  const throttle = report.throttle;
  if (throttle) {
    out.push('## Throttle', '', `Watched: ${throttle.watching.join(', ') || 'nothing'}.`);
    if (throttle.peakLagSeconds !== null)
      out.push(`Peak replica lag: ${throttle.peakLagSeconds.toFixed(1)} s.`);
    for (const pause of throttle.pauses)
      out.push(
        `- waited ${(pause.waitedMs / 1000).toFixed(1)} s before ${pause.before}: ${pause.reasons.join('; ')}`,
      );
    for (const note of throttle.unwatched) out.push(`- not watched: ${note}`);
    out.push('');
  }
  if (report.agreement?.length) {
    out.push('## Agreement of members', '');
    for (const peer of report.agreement)
      out.push(`- ${peer.member} (${peer.kind}): ${peer.status}${peer.detail ? ` — ${peer.detail}` : ''}`);
    out.push('');
  }
  return out;
}
