/** Facts an error carries for reports and `--json` output: what was expected, what was found. */
export type ErrorFacts = Readonly<Record<string, unknown>>;

export interface RowbackErrorOptions {
  readonly cause?: unknown;
  /** What the operator should do about it; appended to the message. */
  readonly hint?: string;
  readonly facts?: ErrorFacts;
}

/**
 * Base class of every error rowback throws on purpose. The message says what was expected, what was
 * found and (in `hint`) what to do. Subclasses are told apart by `name`, which survives bundling and
 * crossing module copies, unlike `instanceof`.
 */
export class RowbackError extends Error {
  override readonly name: string = 'RowbackError';
  readonly hint: string | undefined;
  readonly facts: ErrorFacts;

  constructor(message: string, options: RowbackErrorOptions = {}) {
    super(options.hint ? `${message}. ${options.hint}` : message, { cause: options.cause });
    this.hint = options.hint;
    this.facts = Object.freeze({ ...options.facts });
  }
}

export function isRowbackError(error: unknown): error is RowbackError {
  return error instanceof Error && 'facts' in error && typeof (error as RowbackError).facts === 'object';
}

/** Type guard by error name, e.g. `isErrorNamed(e, 'GateError')`. */
export function isErrorNamed<N extends string>(error: unknown, name: N): error is RowbackError & { name: N } {
  return isRowbackError(error) && error.name === name;
}
