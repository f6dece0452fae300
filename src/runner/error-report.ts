import { redactUrl } from '../db/index.ts';
import { isRowbackError } from '../errors/index.ts';
import type { ErrorReport } from './report.ts';

/**
 * Turns any thrown value into the report's error shape, with connection passwords redacted. A
 * RowbackError's message ends with its hint; the report keeps the two apart (`message` says what was
 * expected and found, `hint` what to do), so no reader sees the same sentence twice.
 */
export function toErrorReport(error: unknown): ErrorReport {
  if (isRowbackError(error)) {
    const suffix = error.hint ? `. ${error.hint}` : '';
    const message =
      suffix && error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message;
    return {
      name: error.name,
      message: redactUrl(message),
      hint: error.hint ? redactUrl(error.hint) : null,
      facts: JSON.parse(redactUrl(JSON.stringify(error.facts, jsonSafe))) as Record<string, unknown>,
    };
  }
  const e = error instanceof Error ? error : new Error(String(error));
  const code = (e as { code?: unknown }).code;
  return {
    name: e.name,
    message: redactUrl(e.message),
    hint: null,
    facts: code ? { code: String(code) } : {},
  };
}

/** JSON replacer for values that JSON cannot hold as they are: bigint, Buffer. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (
    value &&
    typeof value === 'object' &&
    (value as { type?: unknown }).type === 'Buffer' &&
    Array.isArray((value as { data?: unknown }).data)
  ) {
    return `0x${Buffer.from((value as { data: number[] }).data).toString('hex')}`;
  }
  return value;
}
