import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { connect, parseConnectionUrl, type Target } from '../db/index.ts';
import { UsageError } from '../errors/index.ts';
import { acceptedParamNames, type RestoreModule } from '../runner/define-restore.ts';
import type { CliIo } from './cli-io.ts';

/** Options every command that talks to a server accepts. */
export interface TargetFlags {
  readonly db?: string;
  readonly controlSchema?: string;
}

export interface ParamFlags {
  readonly param?: readonly string[];
  readonly params?: string;
}

/**
 * The target from `--db`, else `ROWBACK_DATABASE_URL`; its password from the URL or, when
 * `ROWBACK_DATABASE_PASSWORD_FILE` names a file (a mounted Kubernetes Secret), from that file, so the
 * URL can sit in a ConfigMap with no secret in it.
 */
export async function openTarget(flags: TargetFlags, io: CliIo): Promise<Target> {
  const url = flags.db ?? io.env.ROWBACK_DATABASE_URL;
  if (!url) {
    throw new UsageError('no database given', {
      hint: 'pass --db mysql://user@host:3306/schema (with :password after the user if it has one) or set ROWBACK_DATABASE_URL',
    });
  }
  const passwordFile = io.env.ROWBACK_DATABASE_PASSWORD_FILE;
  if (!passwordFile) return connect(url, { connectionLimit: 6 });
  const options = parseConnectionUrl(url);
  if (options.password !== undefined) {
    throw new UsageError(
      'the database URL has a password and ROWBACK_DATABASE_PASSWORD_FILE is set: expected one of them',
      { hint: 'drop the password from the URL, or unset ROWBACK_DATABASE_PASSWORD_FILE' },
    );
  }
  let password: string;
  try {
    password = await readFile(resolve(io.cwd, passwordFile), 'utf8');
  } catch (cause) {
    throw new UsageError(
      `ROWBACK_DATABASE_PASSWORD_FILE ${passwordFile}: cannot read it (${(cause as Error).message})`,
      { cause, hint: 'mount the Secret holding the password there, or unset the variable' },
    );
  }
  // A file written by an editor or `echo` ends in a newline that is not part of the password.
  return connect({ ...options, password: password.replace(/\r?\n$/, '') }, { connectionLimit: 6 });
}

/**
 * Params from, in increasing precedence: `ROWBACK_PARAM_<name>` environment variables, a JSON file
 * (`--params file.json`) and `--param name=value` flags. Values stay strings except in the JSON file;
 * the module's schema coerces or rejects them.
 */
export async function collectParams(flags: ParamFlags, io: CliIo): Promise<CollectedParams> {
  const params: Record<string, unknown> = {};
  const fromEnv = new Set<string>();
  for (const [name, value] of Object.entries(io.env)) {
    if (!name.startsWith('ROWBACK_PARAM_') || value === undefined) continue;
    params[name.slice('ROWBACK_PARAM_'.length)] = value;
    fromEnv.add(name.slice('ROWBACK_PARAM_'.length));
  }
  if (flags.params) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(resolve(io.cwd, flags.params), 'utf8'));
    } catch (cause) {
      throw new UsageError(`cannot read params file ${flags.params}: ${(cause as Error).message}`, { cause });
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError(`params file ${flags.params} must hold a JSON object`);
    }
    Object.assign(params, parsed);
    for (const name of Object.keys(parsed)) fromEnv.delete(name);
  }
  for (const pair of flags.param ?? []) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--param ${JSON.stringify(pair)} is not name=value`);
    params[pair.slice(0, at)] = pair.slice(at + 1);
    fromEnv.delete(pair.slice(0, at));
  }
  return { params, fromEnv };
}

export interface CollectedParams {
  readonly params: Record<string, unknown>;
  /** Names whose value came from a `ROWBACK_PARAM_*` variable (and not from a flag or the file). */
  readonly fromEnv: ReadonlySet<string>;
}

/**
 * `ROWBACK_PARAM_*` variables may be meant for other modules (one environment, several modules): the
 * ones this module does not take are dropped. Names from `--param` and `--params` stay, and an unknown
 * one among them is refused by the module's validation.
 */
export async function paramsFor(
  restore: RestoreModule,
  collected: CollectedParams,
): Promise<Record<string, unknown>> {
  if (collected.fromEnv.size === 0) return collected.params;
  const accepted = await acceptedParamNames(restore, collected.params);
  if (!accepted) return collected.params;
  return Object.fromEntries(
    Object.entries(collected.params).filter(([name]) => accepted.has(name) || !collected.fromEnv.has(name)),
  );
}

/** The folder of restore modules: `--restores`, else `ROWBACK_RESTORES_DIR`, else `./restores`. */
export function restoresDir(flags: { readonly restores?: string }, io: CliIo): string {
  return resolve(io.cwd, flags.restores ?? io.env.ROWBACK_RESTORES_DIR ?? 'restores');
}

/** Commander collects repeated `--param` flags through this. */
export function collectRepeated(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}

/** The ledger's schema: `--control-schema`, else `ROWBACK_CONTROL_SCHEMA`, else the default (`rowback`). */
export function controlSchemaOf(flags: TargetFlags, io: CliIo): { readonly controlSchema?: string } {
  const name = flags.controlSchema ?? io.env.ROWBACK_CONTROL_SCHEMA;
  return name ? { controlSchema: name } : {};
}
