import type { z } from 'zod';
import { UsageError } from '../errors/index.ts';

/** One public call's run-time contract: its arguments' shape and the call written right. */
export interface CallContract {
  /** How the call is written, e.g. `r.scope(name, query, options)`. */
  readonly call: string;
  /** The arguments by name (`options.key` is then option `key`). */
  readonly args: z.ZodType;
  /** A correct call, shown as the fix. */
  readonly example: string;
}

/**
 * Checks a public call's arguments at run time: restore modules load through Node's type stripping,
 * so TypeScript's types protect nobody there. A wrong argument becomes a `UsageError` naming the
 * argument or option, what was found and the right call, instead of a `TypeError` from deep inside.
 * The arguments are checked, never copied: callers go on with their own (typed) values.
 *
 * @example
 * checkCall(SCOPE_CALL, { name, query, options });
 */
export function checkCall(contract: CallContract, args: Readonly<Record<string, unknown>>): void {
  const result = contract.args.safeParse(args);
  if (result.success) return;
  const problems = result.error.issues.map((issue) => describeIssue(issue, args));
  const first = result.error.issues[0]!;
  throw new UsageError(`${contract.call}: ${problems.join('; ')}`, {
    hint: `write it as ${contract.example}`,
    facts: { call: contract.call, option: optionName(first.path), problems },
  });
}

/** `options.key.0` → `option 'key'`; `name` → `argument 'name'`. */
function optionName(path: readonly PropertyKey[]): string {
  const [head, ...rest] = path.map(String);
  if (head === undefined) return 'arguments';
  if (head === 'options' || head === 'definition') return rest.length ? rest.join('.') : head;
  return [head, ...rest].join('.');
}

function describeIssue(issue: z.core.$ZodIssue, args: Readonly<Record<string, unknown>>): string {
  const [head, ...rest] = issue.path.map(String);
  const what =
    head === undefined
      ? 'the arguments'
      : (head === 'options' || head === 'definition') && rest.length
        ? `option '${rest.join('.')}'`
        : `argument '${[head, ...rest].join('.')}'`;
  if (issue.code === 'unrecognized_keys')
    return `${what} has unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`;
  const found = describeValue(valueAt(args, issue.path));
  return `${what} must be ${issue.message}, found ${found}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

/** A short, safe description of a value for a message (strings shortened, objects not dumped). */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${String(value)}`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return 'an object';
}

/** `checkCall`, then `go()`: for async calls, a bad argument rejects the promise instead of throwing. */
export function checkThen<T>(
  contract: CallContract,
  args: Readonly<Record<string, unknown>>,
  go: () => Promise<T>,
): Promise<T> {
  try {
    checkCall(contract, args);
  } catch (error) {
    return Promise.reject(error);
  }
  return go();
}
