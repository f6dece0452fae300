import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { RunEvent } from '../runner/run-events.ts';
import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';
import { jsonLogReporter } from './json-log-reporter.ts';

/**
 * Shows a run's progress on stderr: bars for extracts when stderr is a terminal, plain lines
 * otherwise (logs, CI), nothing extra with `--quiet`; JSON lines with `--log-format json` (also
 * beside `--json`: the report goes to stdout, the log to stderr, as a Kubernetes Job's collector
 * wants both).
 */
export function progressReporter(
  io: CliIo,
  quiet: boolean,
): { readonly onEvent: (e: RunEvent) => void; stop(): void } {
  if (io.logFormat === 'json') return jsonLogReporter(io);
  if (quiet) return { onEvent: () => undefined, stop: () => undefined };
  const tty = Boolean(io.stderr.isTTY);
  const bars = tty
    ? new MultiBar(
        {
          stream: io.stderr as NodeJS.WriteStream,
          format: ' {step} [{bar}] {percentage}% | {rows} rows',
          hideCursor: true,
          clearOnComplete: true,
        },
        Presets.shades_classic,
      )
    : null;
  const active = new Map<string, SingleBar>();
  let lastPlain = 0;
  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        writeLine(io.stderr, `rowback: ${event.mode} ${event.moduleId} (run ${event.runId})`);
        break;
      case 'step-start':
        if (!tty) writeLine(io.stderr, `  ${event.kind} ${event.name} …`);
        break;
      case 'step-progress': {
        const { bytesRead, bytesTotal, rows } = event.progress;
        if (bars && bytesTotal) {
          const bar = active.get(event.name) ?? bars.create(bytesTotal, 0, { step: event.name, rows: 0 });
          active.set(event.name, bar);
          bar.update(bytesRead, { step: event.name, rows });
        } else if (!tty && Date.now() - lastPlain > 2000) {
          lastPlain = Date.now();
          const pct = bytesTotal ? ` ${Math.floor((100 * bytesRead) / bytesTotal)}%` : '';
          writeLine(io.stderr, `    ${event.name}:${pct} ${rows} rows`);
        }
        break;
      }
      case 'step-end': {
        active.get(event.step.name)?.stop();
        active.delete(event.step.name);
        const s = event.step;
        const rows = s.rows === null ? '' : ` ${s.rows} rows`;
        const gate = s.gate ? ` (gate ${s.gate})` : '';
        const error = s.error ? `: ${s.error.message}` : s.note ? ` — ${s.note}` : '';
        const line = `  ${s.status.padEnd(7)} ${s.kind} ${s.name}${rows}${gate}${error}`;
        if (bars) bars.log(`${line}\n`);
        else writeLine(io.stderr, line);
        break;
      }
      case 'run-end':
        break;
      case 'throttle': {
        // One line per second of waiting at most: a long pause must not flood a log.
        if (Date.now() - lastPlain < 1000) break;
        lastPlain = Date.now();
        const line = `  throttled before ${event.step} (${Math.round(event.waitedMs / 1000)} s): ${event.reasons.join('; ')}`;
        if (bars) bars.log(`${line}\n`);
        else writeLine(io.stderr, line);
        break;
      }
      case 'warning':
        if (bars) bars.log(`  warning: ${event.message}\n`);
        else writeLine(io.stderr, `  warning: ${event.message}`);
        break;
    }
  };
  return { onEvent, stop: () => bars?.stop() };
}
