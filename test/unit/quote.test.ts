import { quoteId, quoteQualified, UsageError } from 'rowback';
import { describe, expect, it } from 'vitest';

describe('quoteId', () => {
  it('wraps in backticks and doubles embedded backticks', () => {
    expect(quoteId('wp_users')).toBe('`wp_users`');
    expect(quoteId('a`b``c')).toBe('`a``b````c`');
    expect(quoteQualified('rb_x', 'wp users')).toBe('`rb_x`.`wp users`');
  });

  it('accepts 64 characters, counting code points not UTF-16 units', () => {
    expect(quoteId('x'.repeat(64))).toHaveLength(66);
    expect(() => quoteId('中'.repeat(64))).not.toThrow();
  });

  it.each([
    ['', /is empty/],
    ['x'.repeat(65), /65 characters long/],
    ['a\0b', /NUL/],
    ['trailing ', /ends with a space/],
    ['\uD800x', /lone surrogate/],
    ['emoji😀', /outside the Basic Multilingual Plane/],
  ])('rejects %j with a clear UsageError', (name, message) => {
    expect(() => quoteId(name)).toThrow(UsageError);
    expect(() => quoteId(name)).toThrow(message);
  });
});
