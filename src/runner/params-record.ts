import { createHash } from 'node:crypto';
import { redactUrl } from '../db/index.ts';
import { jsonSafe } from './error-report.ts';

const SECRET_NAME = /pass(word)?|secret|token|key$|credential/i;

/** Params as the ledger and reports keep them: secret-looking names masked, URL passwords redacted. */
export function redactParams(params: unknown): Record<string, unknown> {
  const plain = JSON.parse(JSON.stringify(params ?? {}, jsonSafe)) as Record<string, unknown>;
  const walk = (value: unknown, name: string): unknown => {
    if (typeof value === 'string') return SECRET_NAME.test(name) ? '***' : redactUrl(value);
    if (Array.isArray(value)) return value.map((v) => walk(v, name));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(plain, '') as Record<string, unknown>;
}

/**
 * A digest of the full params (secrets included): lets `--resume` and the plan check tell whether a run
 * used the same params without storing the secrets themselves.
 */
export function paramsDigest(params: unknown): string {
  return createHash('sha256').update(canonicalJson(params)).digest('hex');
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (key, v) => {
    const safe = jsonSafe(key, v);
    if (safe && typeof safe === 'object' && !Array.isArray(safe)) {
      return Object.fromEntries(Object.entries(safe).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return safe;
  });
}
