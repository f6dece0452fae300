/** One `measure` line of peers.sh: `scale=N peer=… scenario=… rows=… seconds=… maxrss_kb=… srv_cpu_s=… rc=…`. */
export interface Measurement {
  readonly scale: number;
  readonly peer: string;
  readonly scenario: string;
  readonly rows: string;
  readonly seconds: number;
  readonly maxrssKb: number;
  readonly srvCpuSeconds: number;
  readonly rc: string;
}

/** Every measurement of one peer in a run, reduced: median seconds, peak RSS, last rows and rc. */
export interface PeerSummary {
  readonly peer: string;
  readonly scenario: string;
  readonly n: number;
  readonly seconds: number;
  readonly min: number;
  readonly max: number;
  readonly maxrssKb: number;
  readonly srvCpuSeconds: number;
  readonly rows: string;
  readonly rc: string;
}

export function parseMeasurements(lines: readonly string[]): Measurement[] {
  const out: Measurement[] = [];
  for (const line of lines) {
    if (!line.startsWith('scale=')) continue;
    const kv = Object.fromEntries([...line.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
    const seconds = Number(kv.seconds);
    if (!kv.peer || !kv.scenario || !Number.isFinite(seconds)) continue;
    out.push({
      scale: Number(kv.scale),
      peer: kv.peer,
      scenario: kv.scenario,
      rows: kv.rows ?? 'NA',
      seconds,
      maxrssKb: Number(kv.maxrss_kb ?? Number.NaN),
      srvCpuSeconds: Number(kv.srv_cpu_s ?? Number.NaN),
      rc: kv.rc ?? 'NA',
    });
  }
  return out;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A rowback measurement whose command failed (e.g. the source tree was mid-edit): never a timing. */
export function isFailedLib(m: Measurement): boolean {
  return m.peer.startsWith('lib-') && m.rc !== '0';
}

/** Per peer, in the order peers first appear; failed rowback measurements are left out (see `isFailedLib`). */
export function summarize(measurements: readonly Measurement[]): Map<string, PeerSummary> {
  const byPeer = new Map<string, Measurement[]>();
  for (const m of measurements) {
    if (!isFailedLib(m)) byPeer.set(m.peer, [...(byPeer.get(m.peer) ?? []), m]);
  }
  const out = new Map<string, PeerSummary>();
  for (const [peer, ms] of byPeer) {
    const secs = ms.map((m) => m.seconds);
    const last = ms.at(-1)!;
    out.set(peer, {
      peer,
      scenario: last.scenario,
      n: ms.length,
      seconds: median(secs),
      min: Math.min(...secs),
      max: Math.max(...secs),
      maxrssKb: Math.max(...ms.map((m) => m.maxrssKb)),
      srvCpuSeconds: median(ms.map((m) => m.srvCpuSeconds)),
      rows: last.rows,
      rc: last.rc,
    });
  }
  return out;
}
