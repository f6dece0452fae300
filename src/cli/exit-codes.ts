import { isRowbackError } from '../errors/index.ts';

/** Exit codes of the `rowback` command, documented in `rowback --help`. */
export const EXIT = Object.freeze({
  ok: 0,
  error: 1,
  usage: 2,
  gateFailed: 3,
  lockHeld: 4,
  awaitingManualStep: 5,
  alreadyApplied: 6,
  driftSincePlan: 7,
  /** 128 + SIGINT, as shells report a Ctrl-C. */
  interrupted: 130,
});

export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  error (the message says what failed and what to do)
  2  usage: bad arguments, params, URL or module
  3  a gate failed: an expected count did not hold. The failing step's transaction is rolled back;
     transactions committed before it stay (the output says which: "Live data: …")
  4  lock held: another run of this module is in progress
  5  awaiting a manual step: do it, then run again with --resume
  6  already applied: undo it first, or pass --force
  7  live rows changed since the plan: run plan again
130  interrupted (Ctrl-C): see \`rowback status\`, then apply --resume`;

/** The exit code for an error (thrown, or the error of a failed run report). */
export function exitCodeFor(errorName: string | undefined): number {
  switch (errorName) {
    case 'UsageError':
    case 'UnknownRunError':
    case 'RehearsalScopeError':
      return EXIT.usage;
    case 'GateError':
      return EXIT.gateFailed;
    case 'LockError':
      return EXIT.lockHeld;
    case 'ManualStepPendingError':
      return EXIT.awaitingManualStep;
    case 'AlreadyAppliedError':
      return EXIT.alreadyApplied;
    case 'DriftSincePlanError':
      return EXIT.driftSincePlan;
    default:
      return EXIT.error;
  }
}

export function exitCodeForError(error: unknown): number {
  return exitCodeFor(isRowbackError(error) ? error.name : undefined);
}
