import { describe, expect, it } from 'vitest';
import { throttleOf } from '../../src/cli/throttle-flags.ts';

describe('throttle flags', () => {
  it('map to ThrottleOptions, leaving out what was not given', () => {
    expect(throttleOf({})).toEqual({});
    expect(
      throttleOf({
        replica: ['mysql://r@replica-1:3306', 'mysql://r@replica-2:3306'],
        maxReplicaLag: '2.5',
        maxThreadsRunning: '40',
        throttleTimeout: '120',
      }),
    ).toEqual({
      replicas: ['mysql://r@replica-1:3306', 'mysql://r@replica-2:3306'],
      maxReplicaLagSeconds: 2.5,
      maxThreadsRunning: 40,
      timeoutSeconds: 120,
    });
    expect(throttleOf({ throttle: false })).toEqual({ enabled: false });
  });

  it('refuse what is not a number, saying which flag', () => {
    expect(() => throttleOf({ maxReplicaLag: 'five' })).toThrow(
      /--max-replica-lag expects a number ≥ 0, got "five"/,
    );
    expect(() => throttleOf({ maxThreadsRunning: '2.5' })).toThrow(
      /--max-threads-running expects a whole number/,
    );
    expect(() => throttleOf({ throttleTimeout: '-1' })).toThrow(/--throttle-timeout/);
  });
});
