import type { Command } from 'commander';
import { UsageError } from '../errors/index.ts';
import type { ThrottleOptions } from '../runner/throttle.ts';
import { collectRepeated } from './options.ts';

/** The throttle flags of `apply` and `undo`, as commander hands them over. */
export interface ThrottleFlags {
  /** false with `--no-throttle`. */
  readonly throttle?: boolean;
  readonly maxReplicaLag?: string;
  readonly replica?: readonly string[];
  readonly maxThreadsRunning?: string;
  readonly throttleTimeout?: string;
}

/** Adds the throttle flags to a command that writes in chunks. */
export function withThrottleFlags(command: Command): Command {
  return command
    .option(
      '--replica <url>',
      'a replica or cluster member to watch (lag, flow control) and compare after the run (repeatable; replicas the primary reports are found by themselves)',
      collectRepeated,
    )
    .option('--max-replica-lag <seconds>', 'wait before a chunk while a replica lags more (default 5)')
    .option('--max-threads-running <n>', 'wait before a chunk while Threads_running is above this')
    .option(
      '--throttle-timeout <seconds>',
      'stop cleanly (resumable) after waiting this long before one chunk (default 600)',
    )
    .option('--no-throttle', 'commit chunks back to back, watching nothing');
}

function positive(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(
      `${flag} expects a ${integer ? 'whole ' : ''}number ≥ 0, got ${JSON.stringify(value)}`,
      {
        hint: `e.g. ${flag} 5`,
      },
    );
  }
  return n;
}

/** `ThrottleOptions` from the flags (a `UsageError` for a bad number). */
export function throttleOf(flags: ThrottleFlags): ThrottleOptions {
  const lag = positive('--max-replica-lag', flags.maxReplicaLag, false);
  const threads = positive('--max-threads-running', flags.maxThreadsRunning, true);
  const timeout = positive('--throttle-timeout', flags.throttleTimeout, false);
  return {
    ...(flags.throttle === false ? { enabled: false } : {}),
    ...(flags.replica?.length ? { replicas: [...flags.replica] } : {}),
    ...(lag !== undefined ? { maxReplicaLagSeconds: lag } : {}),
    ...(threads !== undefined ? { maxThreadsRunning: threads } : {}),
    ...(timeout !== undefined ? { timeoutSeconds: timeout } : {}),
  };
}
