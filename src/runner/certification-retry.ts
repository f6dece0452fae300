import { CertificationConflictError } from '../errors/index.ts';

/** How often a transaction Galera refused at certification is tried again before the step fails. */
export const CERTIFICATION_RETRIES = 3;

function isDeadlock(error: unknown): boolean {
  return (error as { errno?: number } | null)?.errno === 1213;
}

/**
 * Runs one transaction again when it was aborted for a conflicting write (ER_LOCK_DEADLOCK, 1213: on
 * Galera a writeset of another node that won certification, at a statement or at COMMIT). The server
 * rolled all of it back, its ledger row included, and before-image tables are never reused, so a new
 * attempt starts clean. After `CERTIFICATION_RETRIES` more attempts it fails with
 * `CertificationConflictError`, nothing of the transaction committed.
 */
export async function withCertificationRetry<T>(
  name: string,
  warn: (message: string) => void,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isDeadlock(error)) throw error;
      if (tried > CERTIFICATION_RETRIES) {
        const failed = new CertificationConflictError(
          `${name} was rolled back by conflicting writes ${tried} times (${(error as Error).message})`,
          {
            cause: error,
            hint: 'nothing of it was committed; find what else writes these rows (another node, an application job), stop it, then continue with --resume',
            facts: { step: name, attempts: tried },
          },
        );
        // The step report shows the operations of the last attempt, as for any failed transaction.
        Object.assign(failed, { operations: (error as { operations?: unknown }).operations });
        throw failed;
      }
      warn(
        `${name}: rolled back by a conflicting write (${(error as Error).message}); attempt ${tried + 1} of ${CERTIFICATION_RETRIES + 1}`,
      );
    }
  }
}
