import type { RunEvent } from '../runner/run-events.ts';
import type { CliIo } from './cli-io.ts';

type Level = 'info' | 'warn' | 'error';

/** One log record as a JSON line on stderr (`--log-format json`): what log collectors parse. */
export function writeJsonLog(
  io: CliIo,
  level: Level,
  msg: string,
  fields: Readonly<Record<string, unknown>> = {},
): void {
  io.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
}

const PROGRESS_EVERY_MS = 2000;

/**
 * A run's events as JSON lines, one per event (progress at most every 2 s per step), with the same
 * facts the text lines show: module, run id, step, kind, status, rows, gate, error.
 */
export function jsonLogReporter(io: CliIo): { readonly onEvent: (e: RunEvent) => void; stop(): void } {
  const lastProgress = new Map<string, number>();
  let run: { module: string; runId: string | null } | null = null;
  const onEvent = (event: RunEvent) => {
    switch (event.type) {
      case 'run-start':
        run = { module: event.moduleId, runId: event.runId };
        writeJsonLog(io, 'info', `${event.mode} ${event.moduleId} (run ${event.runId})`, {
          event: event.type,
          mode: event.mode,
          ...run,
        });
        break;
      case 'step-start':
        writeJsonLog(io, 'info', `${event.kind} ${event.name}`, {
          event: event.type,
          ...run,
          step: event.name,
          kind: event.kind,
        });
        break;
      case 'step-progress': {
        const now = Date.now();
        if (now - (lastProgress.get(event.name) ?? 0) < PROGRESS_EVERY_MS) break;
        lastProgress.set(event.name, now);
        const { table, bytesRead, bytesTotal, rows } = event.progress;
        writeJsonLog(io, 'info', `${event.name}: ${rows} rows`, {
          event: event.type,
          ...run,
          step: event.name,
          table,
          rows,
          bytesRead,
          bytesTotal,
        });
        break;
      }
      case 'step-end': {
        const s = event.step;
        writeJsonLog(io, s.status === 'failed' ? 'error' : 'info', `${s.status} ${s.kind} ${s.name}`, {
          event: event.type,
          ...run,
          step: s.name,
          kind: s.kind,
          status: s.status,
          rows: s.rows,
          gate: s.gate,
          durationMs: s.durationMs,
          note: s.note,
          error: s.error ? { name: s.error.name, message: s.error.message } : null,
        });
        break;
      }
      case 'warning':
        writeJsonLog(io, 'warn', event.message, { event: event.type, ...run });
        break;
      case 'run-end':
        writeJsonLog(
          io,
          event.status === 'failed' ? 'error' : 'info',
          `${event.mode} ${event.moduleId} (run ${event.runId}) ${event.status}`,
          {
            event: event.type,
            module: event.moduleId,
            runId: event.runId,
            status: event.status,
            error: event.error,
          },
        );
        break;
    }
  };
  return { onEvent, stop: () => undefined };
}
