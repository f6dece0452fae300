import { GateError } from '../errors/index.ts';
import { eventSpan } from '../telemetry/spans.ts';

/**
 * What a gate expects of a count: exactly `rows`, a `min`/`max` range (either bound optional), or a
 * predicate. Verifications of diffs may also say `'no-diff'`.
 */
export type CountExpectation =
  | { readonly rows: number }
  | { readonly min?: number; readonly max?: number }
  | ((count: number) => boolean);

export type Expectation = CountExpectation | 'no-diff';

/** A gate as the ledger and reports show it, e.g. `= 12`, `1..5000`, `>= 1`, `custom`, `no diff`. */
export function describeExpectation(expectation: Expectation): string {
  if (expectation === 'no-diff') return 'no diff';
  if (typeof expectation === 'function') return 'custom';
  if ('rows' in expectation) return `= ${expectation.rows}`;
  const { min, max } = expectation;
  if (min !== undefined && max !== undefined) return `${min}..${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return 'any';
}

/** Whether `found` satisfies the expectation; `'no-diff'` means a count of zero differences. */
export function expectationHolds(expectation: Expectation, found: number): boolean {
  if (expectation === 'no-diff') return found === 0;
  if (typeof expectation === 'function') return expectation(found);
  if ('rows' in expectation) return found === expectation.rows;
  return (
    (expectation.min === undefined || found >= expectation.min) &&
    (expectation.max === undefined || found <= expectation.max)
  );
}

/**
 * Throws `GateError` when `found` does not satisfy `expectation`. The message reads like an operator
 * would want: "gate 'collided-users' expected 1..5000 rows, found 0: <hint>".
 */
export function checkGate(
  step: string,
  expectation: Expectation | undefined,
  found: number,
  hint?: string,
): void {
  if (expectation === undefined) return;
  const held = expectationHolds(expectation, found);
  const attributes = {
    'rowback.gate': step,
    'rowback.gate.expected': describeExpectation(expectation),
    'rowback.gate.found': found,
    'rowback.gate.held': held,
  };
  if (held) {
    eventSpan('rowback.gate', attributes);
    return;
  }
  const what = expectation === 'no-diff' ? 'no differing rows' : `${describeExpectation(expectation)} rows`;
  const error = new GateError(`gate '${step}' expected ${what}, found ${found}`, {
    ...(hint ? { hint } : {}),
    facts: { step, expected: describeExpectation(expectation), found },
  });
  eventSpan('rowback.gate', attributes, error);
  throw error;
}
