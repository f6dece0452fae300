import { UsageError } from '../errors/index.ts';

/** MySQL and MariaDB limit schema, table and column names to 64 characters. */
export const MAX_IDENTIFIER_LENGTH = 64;

/**
 * Checks that `name` can be a MySQL identifier: non-empty, at most 64 characters, no NUL, no trailing
 * space, no character beyond U+FFFF (the server refuses those: identifiers are stored as utf8mb3), no lone
 * UTF-16 surrogate.
 */
export function assertIdentifier(name: string, what = 'identifier'): void {
  const length = [...name].length;
  const problem =
    length === 0
      ? 'is empty'
      : length > MAX_IDENTIFIER_LENGTH
        ? `is ${length} characters long (the limit is ${MAX_IDENTIFIER_LENGTH})`
        : name.includes('\0')
          ? 'contains a NUL character'
          : name.endsWith(' ')
            ? 'ends with a space'
            : !name.isWellFormed()
              ? 'contains a lone surrogate (not valid Unicode)'
              : /[\u{10000}-\u{10FFFF}]/u.test(name)
                ? 'contains a character outside the Basic Multilingual Plane (such as an emoji)'
                : undefined;
  if (problem) {
    throw new UsageError(`${what} ${JSON.stringify(name)} ${problem}`, {
      hint: 'MySQL identifiers are 1 to 64 characters of the Basic Multilingual Plane, without NUL and without a trailing space',
      facts: { identifier: name },
    });
  }
}

/**
 * Quotes one identifier for MySQL/MariaDB: backticks, with embedded backticks doubled. The one place
 * identifiers are quoted; values never go through here, they go as parameters.
 *
 * @example quoteId('wp_users') === '`wp_users`'; quoteId('a`b') === '`a``b`'
 */
export function quoteId(name: string): string {
  assertIdentifier(name);
  return `\`${name.replaceAll('`', '``')}\``;
}

/** Quotes a qualified name: `quoteQualified('rb_x', 'wp_users') === '`rb_x`.`wp_users`'`. */
export function quoteQualified(...parts: readonly string[]): string {
  return parts.map(quoteId).join('.');
}
