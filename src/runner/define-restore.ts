import { UsageError } from '../errors/index.ts';
import { DEFINE_RESTORE, MODULE_ID_PATTERN, VALIDATE_PARAMS } from '../validation/api-contracts.ts';
import { checkCall } from '../validation/check-call.ts';
import { NO_PARAMS, type NoParams } from './no-params.ts';
import type { RestoreContext } from './restore-api.ts';
import type { InferOutput, StandardSchemaV1 } from './standard-schema.ts';

/** Markdown blocks of the rendered runbook that the code cannot know. */
export interface RunbookText {
  readonly context?: string;
  readonly decisions?: readonly string[];
  readonly references?: readonly string[];
}

export interface RestoreDefinition<S extends StandardSchemaV1 = StandardSchemaV1<unknown, NoParams>> {
  /** `YYYYMMDD-slug`, equal to the module's folder name; sortable; never reused. */
  readonly id: string;
  readonly title: string;
  /** Any Standard Schema validator (zod, valibot…); without it the module takes no params. */
  readonly params?: S;
  /** How long workspace artifacts (backup tables, snapshots, before-images) are kept. */
  readonly retention?: { readonly days: number };
  readonly runbook?: RunbookText;
  run(r: RestoreContext, params: InferOutput<S>): Promise<void>;
}

/** A validated restore module definition, as `defineRestore` returns it. */
export interface RestoreModule<S extends StandardSchemaV1 = StandardSchemaV1> extends RestoreDefinition<S> {
  readonly params: S;
  readonly retention: { readonly days: number };
}

export { MODULE_ID_PATTERN };
export const DEFAULT_RETENTION_DAYS = 30;

/**
 * Declares a restore module. Checks the definition (id, title, run, params, retention) at load time;
 * params are validated per run. A module without `params` takes none (and refuses any given).
 *
 * @example
 * export default defineRestore({
 *   id: '20261126-fix-emails', title: 'Put back overwritten e-mails',
 *   params: z.object({ batch: z.string() }),
 *   async run(r, p) { … },
 * });
 */
export function defineRestore<S extends StandardSchemaV1 = StandardSchemaV1<unknown, NoParams>>(
  definition: RestoreDefinition<S>,
): RestoreModule<S> {
  checkCall(DEFINE_RESTORE, { definition });
  const days = definition.retention?.days ?? DEFAULT_RETENTION_DAYS;
  return Object.freeze({
    ...definition,
    params: definition.params ?? (NO_PARAMS as unknown as S),
    retention: Object.freeze({ days }),
  });
}

/** Validates raw params (from CLI, env or code) against the module's schema; a `UsageError` names each bad param. */
export async function validateParams<S extends StandardSchemaV1>(
  restore: RestoreModule<S>,
  raw: unknown,
): Promise<InferOutput<S>> {
  checkCall(VALIDATE_PARAMS, { restore, params: raw });
  // No params given is an empty set of params: the schema then names each one it requires.
  const given = raw ?? {};
  const result = await restore.params['~standard'].validate(given);
  if (result.issues) {
    const problems = result.issues.map((issue) => {
      const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
      return path ? `param '${path}': ${issue.message}` : issue.message;
    });
    throw new UsageError(`invalid params for ${restore.id}: ${problems.join('; ')}`, {
      hint: 'pass them as --param name=value or --params file.json',
      facts: { problems },
    });
  }
  rejectUnknownParams(restore.id, given, result.value);
  return result.value as InferOutput<S>;
}

/**
 * The param names a module's schema keeps from `raw` (null when `raw` does not validate). Lets the CLI
 * drop `ROWBACK_PARAM_*` environment variables meant for other modules before the strict validation.
 */
export async function acceptedParamNames(
  restore: RestoreModule,
  raw: Record<string, unknown>,
): Promise<ReadonlySet<string> | null> {
  const result = await restore.params['~standard'].validate(raw);
  if (result.issues || !result.value || typeof result.value !== 'object') return null;
  return new Set(Object.keys(result.value));
}

/**
 * A misspelled param (`stratgy=replace`) must not silently fall back to a default: schemas that strip
 * unknown keys (zod's default) would drop it. Every raw param must come out of validation.
 */
function rejectUnknownParams(moduleId: string, raw: unknown, value: unknown): void {
  if (!raw || typeof raw !== 'object' || !value || typeof value !== 'object') return;
  const known = Object.keys(value);
  const unknown = Object.keys(raw).filter((k) => !(k in value));
  if (unknown.length === 0) return;
  const guess = (name: string) => known.find((k) => closeEnough(k.toLowerCase(), name.toLowerCase()));
  const problems = unknown.map((name) => {
    const suggestion = guess(name);
    return `param '${name}' is not a param of ${moduleId}${suggestion ? ` (did you mean '${suggestion}'?)` : ''}`;
  });
  throw new UsageError(problems.join('; '), {
    hint: `its params are: ${known.join(', ') || '(none)'}`,
    facts: { unknown },
  });
}

/** Edit distance of at most 2: enough to catch a typo without suggesting unrelated names. */
function closeEnough(a: string, b: string): boolean {
  if (Math.abs(a.length - b.length) > 2) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(
        previous[j]! + 1,
        row[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = row;
  }
  return previous[b.length]! <= 2;
}
