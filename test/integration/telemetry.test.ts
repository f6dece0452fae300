import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { defineRestore, fromMysqldump, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createRig, type Rig } from '../reliability/harness.ts';

/**
 * The spans a run emits when the process has an OpenTelemetry SDK (here the SDK's in-memory exporter;
 * the CLI registers an OTLP one from OTEL_*): run → steps / chunks → source read and gates, with the
 * module, run id, rows, bytes and the target's fingerprint (its description has no password).
 */
const USERS = 40;
let rig: Rig;
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

const restore = (id: string, maxUsers: number, manual = false) =>
  defineRestore({
    id,
    title: 'Telemetry: put back every damaged user',
    params: z.object({ backup: z.string() }),
    retention: { days: 0 },
    runbook: { context: 'Telemetry test.', decisions: ['Blanket replace.'], references: ['issue 19'] },
    async run(r, p) {
      const backup = await r.extract(
        'backup',
        fromMysqldump(p.backup, { tables: ['wp_users', 'wp_usermeta'] }),
      );
      const users = await r.scope(
        'damaged-users',
        sql`SELECT l.ID FROM wp_users l JOIN ${backup.table('wp_users')} b ON b.ID = l.ID WHERE NOT (l.user_email <=> b.user_email)`,
        { key: 'ID', keyFrom: 'wp_users', expect: { min: 1, max: maxUsers } },
      );
      await r.transaction(
        'restore',
        async (tx) => {
          await tx.replaceRows('wp_users', { from: backup.table('wp_users'), scope: users });
        },
        { chunk: { scope: users, size: 15 } },
      );
      if (manual) await r.manual('tell-support', 'Tell support the users are back');
    },
  });

beforeAll(async () => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
  rig = await createRig({ url: inject('mysqlUrl') }, USERS);
}, 180_000);

afterAll(async () => {
  await rig?.drop();
  trace.disable();
  context.disable();
  await provider.shutdown();
});

const byName = (spans: readonly ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('OpenTelemetry spans', () => {
  it('run, steps, chunks, the source read and each gate, nested, with counts and the target fingerprint', async () => {
    exporter.reset();
    const report = await rig.box.apply(restore('20261204-telemetry', 1000), { backup: rig.dumpFile });
    expect(report.status, JSON.stringify(report.error)).toBe('done');
    const spans = exporter.getFinishedSpans();
    const [run] = byName(spans, 'rowback.run');
    expect(run?.attributes).toMatchObject({
      'rowback.module': '20261204-telemetry',
      'rowback.mode': 'apply',
      'rowback.run_id': report.runId,
      'rowback.status': 'done',
      'server.address': report.target.host,
      'rowback.target.server_uuid': report.target.serverUuid,
      'rowback.target.schema': report.target.schema,
      'rowback.target.user': report.target.user,
    });
    const steps = byName(spans, 'rowback.step');
    expect(steps.map((s) => [s.attributes['rowback.step'], s.attributes['rowback.status']])).toEqual(
      expect.arrayContaining([
        ['backup', 'done'],
        ['damaged-users', 'done'],
      ]),
    );
    for (const step of steps) {
      expect(step.spanContext().traceId).toBe(run!.spanContext().traceId);
      expect(parentOf(step)).toBe(run!.spanContext().spanId);
      expect(step.attributes['rowback.run_id']).toBe(report.runId);
    }
    const scope = steps.find((s) => s.attributes['rowback.step'] === 'damaged-users')!;
    expect(scope.attributes['rowback.rows']).toBe(USERS);

    const chunks = byName(spans, 'rowback.chunk');
    expect(chunks.map((c) => c.attributes['rowback.step'])).toEqual(['restore#1', 'restore#2', 'restore#3']);
    expect(chunks.map((c) => c.attributes['rowback.rows'])).toEqual([15, 15, 10]);

    const [read] = byName(spans, 'rowback.source.read');
    const extract = steps.find((s) => s.attributes['rowback.step'] === 'backup')!;
    expect(parentOf(read!)).toBe(extract.spanContext().spanId);
    expect(read!.attributes).toMatchObject({ 'rowback.source.kind': 'mysqldump', 'rowback.tables': 2 });
    expect(read!.attributes['rowback.rows']).toBe(USERS * 3);
    expect(read!.attributes['rowback.bytes']).toBeGreaterThan(1000);

    const gates = byName(spans, 'rowback.gate');
    const scopeGate = gates.find((g) => g.attributes['rowback.gate'] === 'damaged-users')!;
    expect(parentOf(scopeGate)).toBe(scope.spanContext().spanId);
    expect(scopeGate.attributes).toMatchObject({
      'rowback.gate.expected': '1..1000',
      'rowback.gate.found': USERS,
      'rowback.gate.held': true,
    });
    expect(scopeGate.status.code).toBe(0);
  });

  it('a failed gate marks its span, its step and the run failed', async () => {
    await rig.reset();
    exporter.reset();
    const report = await rig.box.plan(restore('20261204-telemetry-gate', 5), { backup: rig.dumpFile });
    expect(report.status).toBe('failed');
    const spans = exporter.getFinishedSpans();
    const gate = byName(spans, 'rowback.gate').find((g) => g.attributes['rowback.gate'] === 'damaged-users')!;
    expect(gate.attributes).toMatchObject({ 'rowback.gate.found': USERS, 'rowback.gate.held': false });
    expect(gate.status).toMatchObject({
      code: 2,
      message: expect.stringMatching(/expected 1\.\.5 rows, found 40/),
    });
    const step = byName(spans, 'rowback.step').find((s) => s.attributes['rowback.step'] === 'damaged-users')!;
    expect(step.status.code).toBe(2);
    expect(step.attributes['rowback.status']).toBe('failed');
    const [run] = byName(spans, 'rowback.run');
    expect(run!.attributes).toMatchObject({ 'rowback.status': 'failed', 'rowback.mode': 'plan' });
    expect(run!.status.code).toBe(2);
  });

  it('a manual step that stops the run is not an error span; the resumed run shows the skipped steps', async () => {
    await rig.reset();
    exporter.reset();
    const module = restore('20261204-telemetry-manual', 1000, true);
    const stopped = await rig.box.apply(module, { backup: rig.dumpFile });
    expect(stopped.status).toBe('awaiting');
    const manual = byName(exporter.getFinishedSpans(), 'rowback.step').find(
      (s) => s.attributes['rowback.step'] === 'tell-support',
    )!;
    expect(manual.attributes['rowback.status']).toBe('awaiting');
    expect(manual.status.code).toBe(0);

    exporter.reset();
    const resumed = await rig.box.apply(module, { backup: rig.dumpFile }, { resume: true });
    expect(resumed.status, JSON.stringify(resumed.error)).toBe('done');
    const spans = exporter.getFinishedSpans();
    const skipped = [...byName(spans, 'rowback.step'), ...byName(spans, 'rowback.chunk')].filter(
      (s) => s.attributes['rowback.status'] === 'skipped',
    );
    expect(skipped.map((s) => s.attributes['rowback.step']).sort()).toEqual(
      ['backup', 'damaged-users', 'restore#1', 'restore#2', 'restore#3'].sort(),
    );
    for (const s of skipped) expect(s.attributes['rowback.resumed_from']).toBe(stopped.runId);
    const [run] = byName(spans, 'rowback.run');
    expect(run!.attributes['rowback.run_id']).toBe(resumed.runId);
  });
});
