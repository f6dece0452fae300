import { formatConnectionUrl, parseConnectionUrl, redactUrl, UsageError } from 'rowback';
import { describe, expect, it } from 'vitest';

describe('connection URLs', () => {
  it('parses user, password, host, port, schema and socket', () => {
    expect(
      parseConnectionUrl('mysql://app:s%40cret@db.example:3307/wordpress?socket=%2Ftmp%2Fm.sock'),
    ).toEqual({
      host: 'db.example',
      port: 3307,
      user: 'app',
      password: 's@cret',
      database: 'wordpress',
      socketPath: '/tmp/m.sock',
    });
  });

  it('defaults to root on port 3306 without a schema', () => {
    expect(parseConnectionUrl('mysql://127.0.0.1')).toEqual({ host: '127.0.0.1', port: 3306, user: 'root' });
  });

  it('round-trips through formatConnectionUrl', () => {
    const url = 'mysql://a%3Ab:p%2Fw@[::1]:3306/s';
    expect(parseConnectionUrl(formatConnectionUrl(parseConnectionUrl(url)))).toEqual(parseConnectionUrl(url));
  });

  it('redacts passwords in URLs, also inside longer text', () => {
    expect(redactUrl('mysql://app:hunter2@db:3306/wp')).toBe('mysql://app:***@db:3306/wp');
    expect(redactUrl('failed: mysql://u:p%40ss@h/s and mariadb://x:y@z')).toBe(
      'failed: mysql://u:***@h/s and mariadb://x:***@z',
    );
    expect(redactUrl('mysql://nopass@db/wp')).toBe('mysql://nopass@db/wp');
  });

  it('refuses raw @ # ? / and broken escapes in credentials, naming the fix and never the password', () => {
    for (const url of [
      'mysql://u:Pa@ss#wo/rd@127.0.0.1:3306/x',
      'mysql://u:Se?cret@h/wp',
      'mysql://u:Pa%ZZss@h/wp',
    ]) {
      expect(() => parseConnectionUrl(url)).toThrow(/percent-encode/);
      try {
        parseConnectionUrl(url);
      } catch (error) {
        expect((error as Error).message).not.toMatch(/ss#wo|Se\?cret|Pa%ZZ/);
      }
    }
    expect(parseConnectionUrl('mysql://u:Pa%40ss%23w@h/wp').password).toBe('Pa@ss#w');
  });

  it('rejects other schemes and garbage without echoing the password', () => {
    expect(() => parseConnectionUrl('postgres://u:topsecret@h/db')).toThrow(UsageError);
    try {
      parseConnectionUrl('postgres://u:topsecret@h/db');
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('topsecret');
    }
    expect(() => parseConnectionUrl('not a url')).toThrow(/not a connection URL/);
  });
});
