import { userInfo } from 'node:os';

/**
 * The OS user running rowback, for the ledger. `userInfo()` throws where the process's uid has no
 * passwd entry (a container started with an arbitrary UID); the run must not fail for a ledger label.
 */
export function operatorName(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
