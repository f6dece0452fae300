import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import type { BenchArgs } from './cli-args.ts';

export const KIT = '/work/shared/bench';
export const RESULTS_FILE = '/tmp/bench-data/results.txt';

/**
 * Runs the peer kit's `peers.sh SCALE "S…"` with bench/lib-hook.sh as LIB_HOOK, so rowback is timed in
 * the same run with the same wrapper, and returns the result lines this run appended (results.txt
 * accumulates every run ever made on the machine; only this run's lines are ours to compare).
 */
export async function runPeers(args: BenchArgs, benchDir: string): Promise<string[]> {
  const offset = await stat(RESULTS_FILE).then(
    (s) => s.size,
    () => 0,
  );
  const env = {
    ...process.env,
    LIB_HOOK: `${benchDir}/lib-hook.sh`,
    BENCH_NODE: process.execPath,
    BENCH_DIR: benchDir,
    BENCH_REPEAT: String(args.repeat),
  };
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(`${KIT}/peers.sh`, [String(args.scale), args.scenarios.join(' ')], {
      env,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`peers.sh exited with ${code}`);
  const text = await readFile(RESULTS_FILE);
  return text.subarray(offset).toString('utf8').split('\n').filter(Boolean);
}
