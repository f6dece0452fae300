import type { StandardSchemaV1 } from './standard-schema.ts';

/** The params of a module that declares none: always `{}`; any param given is then refused by name. */
export type NoParams = Readonly<Record<string, never>>;

/**
 * The schema `defineRestore` uses when a module has no `params`. It keeps no key, so
 * `validateParams` refuses every `--param` as "not a param of <module>" instead of ignoring it.
 */
export const NO_PARAMS: StandardSchemaV1<unknown, NoParams> = Object.freeze({
  '~standard': Object.freeze({
    version: 1 as const,
    vendor: 'rowback',
    validate: (value: unknown) =>
      value === undefined || value === null || (typeof value === 'object' && !Array.isArray(value))
        ? { value: {} }
        : { issues: [{ message: `expected an object of params (or none), got ${typeof value}` }] },
  }),
});
