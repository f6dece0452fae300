import { type Attributes, type Span, SpanStatusCode, trace } from '@opentelemetry/api';

/**
 * rowback's OpenTelemetry spans, through `@opentelemetry/api` only: without an SDK registered (the CLI
 * registers one when OTEL_* asks for it) every span is a no-op. Attribute names are `rowback.*`; no
 * attribute ever holds a password (targets appear as their fingerprint).
 */
const tracer = () => trace.getTracer('rowback');

/**
 * Runs `fn` inside an active span (children nest under it). An error is rethrown and marks the span
 * failed, unless `isFailure` says it is not one (a manual step stopping the run is waiting, not broken).
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
  isFailure: (error: unknown) => boolean = () => true,
): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (error) {
      if (isFailure(error)) failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span for something already decided (a gate's check), child of the active span. */
export function eventSpan(name: string, attributes: Attributes, error?: unknown): void {
  const span = tracer().startSpan(name, { attributes });
  if (error !== undefined) failSpan(span, error);
  span.end();
}

/** Marks a span failed with the error's message (what the run report shows), not its stack. */
export function failSpan(span: Span, error: unknown): void {
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : String(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message });
  span.setAttribute('rowback.error', error instanceof Error ? error.name : 'Error');
}
