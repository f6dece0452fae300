import { describe, expect, it } from 'vitest';
import { committedWrites } from '../../src/runner/committed-writes.ts';
import type { RunReport, StepReport } from '../../src/runner/report.ts';

const step = (name: string, kind: StepReport['kind'], status: StepReport['status']) =>
  ({ name, kind, status }) as StepReport;
const report = (mode: RunReport['mode'], steps: StepReport[], resumedFrom: string | null = null) =>
  ({ mode, runId: '7', resumedFrom, status: 'failed', steps }) as unknown as RunReport;

describe('committedWrites', () => {
  it('says nothing was written when no transaction of the apply committed', () => {
    const text = committedWrites(
      report('apply', [step('backup', 'extract', 'done'), step('restore', 'transaction', 'failed')]),
    );
    expect(text).toBe('Live data: no transaction was committed; nothing was written to live data.');
  });

  it('names the transactions and chunks committed by this run and by the run it resumed', () => {
    const text = committedWrites(
      report(
        'apply',
        [
          step('purge', 'transaction', 'skipped'),
          step('restore#1', 'chunk', 'skipped'),
          step('restore#2', 'chunk', 'done'),
          step('restore#3', 'chunk', 'failed'),
          step('check', 'verify', 'pending'),
        ],
        '5',
      ),
    );
    expect(text).toMatch(
      /^Live data: committed before the failure and kept, by this run \(7\): restore#2; by run 5 \(resumed\): purge, restore#1\. The failed step's own transaction was rolled back/,
    );
  });

  it('says a plan committed nothing, whatever its steps did', () => {
    expect(committedWrites(report('plan', [step('restore', 'transaction', 'done')]))).toMatch(
      /no transaction was committed/,
    );
  });
});
