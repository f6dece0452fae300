import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRig, MODULE_ID, moduleSource, type Rig } from '../reliability/harness.ts';
import { runCli } from '../support/run-cli.ts';

/**
 * The CLI's edge: OTEL_* in the environment starts the OpenTelemetry SDK, whose OTLP exporter sends
 * rowback's spans to a collector (here a loopback HTTP server taking OTLP/JSON), and
 * `--log-format json` turns the progress lines into JSON lines for log collectors.
 */
interface OtlpSpan {
  name: string;
  attributes: { key: string; value: { stringValue?: string; intValue?: string | number } }[];
}
let rig: Rig;
let collector: Server;
let endpoint: string;
const received: { resource: Record<string, string>; spans: OtlpSpan[] }[] = [];

beforeAll(async () => {
  rig = await createRig({ url: inject('mysqlUrl') }, 30);
  await rig.writeModule(MODULE_ID, moduleSource(MODULE_ID));
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString();
    });
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const payload = JSON.parse(body) as {
          resourceSpans: {
            resource: { attributes: OtlpSpan['attributes'] };
            scopeSpans: { spans: OtlpSpan[] }[];
          }[];
        };
        for (const r of payload.resourceSpans) {
          received.push({
            resource: Object.fromEntries(
              r.resource.attributes.map((a) => [a.key, String(a.value.stringValue)]),
            ),
            spans: r.scopeSpans.flatMap((s) => s.spans),
          });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await new Promise((resolve) => collector?.close(resolve));
  await rig?.drop();
});

describe('rowback with OTEL_* and --log-format json', () => {
  it('exports the run’s spans over OTLP and logs every event as a JSON line', async () => {
    const result = await runCli(['plan', MODULE_ID, ...rig.common(), '--log-format', 'json', '--json'], {
      env: {
        ...rig.env,
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_METRICS_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_SERVICE_NAME: 'rowback-test',
      },
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { runId: string; status: string };
    expect(report.status).toBe('done');

    const lines = result.stderr.trim().split('\n');
    const logs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      logs.every(
        (l) => typeof l.time === 'string' && typeof l.level === 'string' && typeof l.msg === 'string',
      ),
    ).toBe(true);
    expect(logs[0]).toMatchObject({
      event: 'run-start',
      module: MODULE_ID,
      runId: report.runId,
      mode: 'plan',
    });
    expect(logs.find((l) => l.event === 'step-end' && l.step === 'damaged-users')).toMatchObject({
      status: 'done',
      rows: 30,
      gate: '>= 1',
      runId: report.runId,
    });
    expect(logs.at(-1)).toMatchObject({ event: 'run-end', status: 'done', runId: report.runId });

    // The exporter flushed before the process exited: the spans are at the collector.
    const spans = received.flatMap((r) => r.spans);
    expect(received.every((r) => r.resource['service.name'] === 'rowback-test')).toBe(true);
    const names = new Set(spans.map((s) => s.name));
    for (const name of ['rowback.run', 'rowback.step', 'rowback.source.read', 'rowback.gate'])
      expect(names.has(name), name).toBe(true);
    const run = spans.find((s) => s.name === 'rowback.run')!;
    const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;
    expect(attribute(run, 'rowback.run_id')?.stringValue).toBe(report.runId);
    expect(attribute(run, 'rowback.module')?.stringValue).toBe(MODULE_ID);
  });

  it('a refused command is one JSON error line with its exit code', async () => {
    const result = await runCli(['status', '--log-format', 'json'], { env: { ROWBACK_DATABASE_URL: '' } });
    expect(result.code).toBe(2);
    expect(JSON.parse(result.stderr.trim())).toMatchObject({
      level: 'error',
      error: 'UsageError',
      exitCode: 2,
    });
  });
});
