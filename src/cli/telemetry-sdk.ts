import type { CliIo } from './cli-io.ts';
import { writeLine } from './cli-io.ts';

/**
 * Starts the OpenTelemetry SDK when the environment asks for traces (`OTEL_TRACES_EXPORTER`, or an
 * `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`), configured by the SDK itself from the standard OTEL_*
 * variables (protocol, headers, resource attributes, sampler). Returns the shutdown that flushes the
 * spans before the process exits. The SDK is an optional dependency: without it, a warning and no
 * traces, never a failed restore.
 */
export async function startTelemetry(io: CliIo): Promise<() => Promise<void>> {
  const env = io.env;
  const exporter = env.OTEL_TRACES_EXPORTER;
  const wanted =
    env.OTEL_SDK_DISABLED !== 'true' &&
    (exporter !== undefined
      ? exporter !== 'none'
      : Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT));
  if (!wanted) return async () => undefined;
  let sdk: { start(): void; shutdown(): Promise<void> };
  try {
    const { NodeSDK } = await import('@opentelemetry/sdk-node');
    // No auto-instrumentation: rowback's own spans (run, step, chunk, source read, gate) are the trace.
    sdk = new NodeSDK({ serviceName: env.OTEL_SERVICE_NAME ?? 'rowback', instrumentations: [] });
  } catch (cause) {
    writeLine(
      io.stderr,
      `rowback: OTEL_* asks for traces, but @opentelemetry/sdk-node cannot be loaded (${(cause as Error).message}); running without traces. Install it next to rowback: npm install @opentelemetry/sdk-node`,
    );
    return async () => undefined;
  }
  sdk.start();
  return async () => {
    await sdk.shutdown().catch((error: unknown) => {
      writeLine(io.stderr, `rowback: could not flush traces (${(error as Error).message})`);
    });
  };
}
