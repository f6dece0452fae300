import { compareVersions, insertValuesUpsert, parseVersion, supportsInsertRowAlias } from 'rowback';
import { describe, expect, it } from 'vitest';

const mysql84 = { flavour: 'mysql', version: '8.4.3' } as const;
const mysql8018 = { flavour: 'mysql', version: '8.0.18' } as const;
const mariadb = { flavour: 'mariadb', version: '10.11.9' } as const;

describe('dialect', () => {
  it('parses versions of both flavours', () => {
    expect(parseVersion('8.4.3')).toEqual({ flavour: 'mysql', version: '8.4.3' });
    expect(parseVersion('8.0.36-0ubuntu0.22.04.1')).toEqual({ flavour: 'mysql', version: '8.0.36' });
    expect(parseVersion('10.11.9-MariaDB-0+deb12u1-log')).toEqual({ flavour: 'mariadb', version: '10.11.9' });
    expect(parseVersion('5.5.5-10.6.12-MariaDB')).toEqual({ flavour: 'mariadb', version: '10.6.12' });
    expect(compareVersions('8.0.19', '8.0.9')).toBeGreaterThan(0);
    expect(compareVersions('10.11.9', '10.11.9')).toBe(0);
  });

  it('uses a row alias on MySQL >= 8.0.19 only', () => {
    expect(supportsInsertRowAlias(mysql84)).toBe(true);
    expect(supportsInsertRowAlias(mysql8018)).toBe(false);
    expect(supportsInsertRowAlias(mariadb)).toBe(false);
  });

  it('builds INSERT … ON DUPLICATE KEY UPDATE for MySQL 8.4', () => {
    expect(insertValuesUpsert(mysql84, '`s`.`t`', ['id', 'a', 'b'], ['a'], 2)).toBe(
      'INSERT INTO `s`.`t` (`id`, `a`, `b`) VALUES (?, ?, ?), (?, ?, ?) AS `rb_new` ON DUPLICATE KEY UPDATE `a` = `rb_new`.`a`',
    );
  });

  it('builds INSERT … ON DUPLICATE KEY UPDATE with VALUES() for MariaDB and MySQL 8.0.18', () => {
    const expected =
      'INSERT INTO `s`.`t` (`id`, `a`) VALUES (?, ?) ON DUPLICATE KEY UPDATE `a` = VALUES(`a`)';
    expect(insertValuesUpsert(mariadb, '`s`.`t`', ['id', 'a'], ['a'], 1)).toBe(expected);
    expect(insertValuesUpsert(mysql8018, '`s`.`t`', ['id', 'a'], ['a'], 1)).toBe(expected);
  });

  it('builds a plain INSERT when nothing is to be updated', () => {
    expect(insertValuesUpsert(mariadb, '`t`', ['id'], [], 1)).toBe('INSERT INTO `t` (`id`) VALUES (?)');
  });
});
