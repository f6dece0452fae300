import { describe, expect, it } from 'vitest';
import { FanOutSink } from '../../src/sources/fan-out-sink.ts';
import type { RowSink } from '../../src/sources/table-loader.ts';

/** A sink that records what it was asked to do; its write settles after `ms`, failing if told to. */
function fakeSink(name: string, log: string[], failWrite: boolean, ms = 30): RowSink {
  return {
    async write() {
      log.push(`${name}.write`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      if (failWrite) throw new Error(`${name}: connection lost`);
    },
    async end() {
      log.push(`${name}.end`);
      return 1;
    },
    async abort() {
      log.push(`${name}.abort`);
    },
  };
}

describe('FanOutSink', () => {
  it('cuts off every lane when one lane write fails, so no load is left waiting for its file', async () => {
    const log: string[] = [];
    let opened = 0;
    const sink = await FanOutSink.open(async () => fakeSink(`lane${opened}`, log, opened++ === 1), 2, 0);
    await sink.write(Buffer.alloc(10), 1);
    await sink.write(Buffer.alloc(10), 1);
    await expect(sink.end()).rejects.toThrow('lane1: connection lost');
    expect(log).toContain('lane0.abort');
    expect(log).toContain('lane1.abort');
  });

  it('ends every lane and adds up their rows when all writes succeed', async () => {
    const log: string[] = [];
    let opened = 0;
    const sink = await FanOutSink.open(async () => fakeSink(`lane${opened++}`, log, false), 2, 0);
    for (let i = 0; i < 4; i++) await sink.write(Buffer.alloc(10), 1);
    expect(await sink.end()).toBe(2);
    expect(log.filter((l) => l.endsWith('.abort'))).toEqual([]);
  });
});
