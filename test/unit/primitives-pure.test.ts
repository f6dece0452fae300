import {
  type ClusterTopology,
  checkWriteSize,
  compareSchemas,
  describeDifference,
  normalizeColumnType,
  parentsFirst,
  restoreSqlMode,
  scopeKeysInsertSql,
  type TableMetadata,
  TableRef,
  transactionSizeLimit,
  workspaceSchemaName,
  workspaceTableName,
} from 'rowback';
import { describe, expect, it } from 'vitest';
import type { ColumnInfo, ForeignKey } from '../../src/primitives/index.ts';
import { deleteJoinedSql } from '../../src/primitives/sql-fragments.ts';
import { textDiff } from '../../src/primitives/value-diff.ts';

describe('workspace names', () => {
  it('are rb_<id>, sanitised, lower case, at most 64 characters and deterministic', () => {
    expect(workspaceSchemaName('fix_users')).toBe('rb_fix_users');
    const dashed = workspaceSchemaName('20261126-wpca-uid-collision');
    expect(dashed).toMatch(/^rb_20261126_wpca_uid_collision_[0-9a-f]{10}$/);
    expect(workspaceSchemaName('20261126-wpca-uid-collision')).toBe(dashed);
    const long = workspaceSchemaName(`20261126-${'x'.repeat(100)}`);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(workspaceSchemaName(`20261126-${'x'.repeat(100)}`)).toBe(long);
    expect(workspaceSchemaName(`20261126-${'x'.repeat(99)}y`)).not.toBe(long);
  });

  it('keep table names apart that only sanitising would merge', () => {
    expect(workspaceTableName('bi', 'restore__wp_users')).toBe('bi__restore__wp_users');
    expect(workspaceTableName('bi', 'wp-users')).not.toBe(workspaceTableName('bi', 'wp_users'));
    const long = workspaceTableName('keys', `${'step'.repeat(20)}__wp_usermeta`);
    expect(long.length).toBe(64);
    expect(long).toMatch(/_[0-9a-f]{10}$/);
  });
});

describe('restoreSqlMode', () => {
  it('allows zero dates, keeps strictness, and adds NO_AUTO_VALUE_ON_ZERO (MySQL 8 default modes)', () => {
    expect(
      restoreSqlMode(
        'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
      ),
    ).toBe(
      'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO',
    );
  });
  it('leaves a MariaDB default alone but for NO_AUTO_VALUE_ON_ZERO, and is idempotent', () => {
    const maria = 'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION';
    expect(restoreSqlMode(maria)).toBe(`${maria},NO_AUTO_VALUE_ON_ZERO`);
    expect(restoreSqlMode(restoreSqlMode(maria))).toBe(restoreSqlMode(maria));
    expect(restoreSqlMode('')).toBe('NO_AUTO_VALUE_ON_ZERO');
  });
});

const column = (name: string, columnType: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  name,
  columnType,
  dataType: columnType.replace(/\(.*$/, '').split(' ')[0]!,
  nullable: false,
  charset: null,
  collation: null,
  generated: false,
  invisible: false,
  autoIncrement: false,
  ...extra,
});
const table = (name: string, columns: ColumnInfo[], primaryKey = ['ID']): TableMetadata => ({
  table: new TableRef('s', name),
  columns,
  primaryKey,
  view: false,
});

describe('schema comparison', () => {
  it('ignores integer display widths (MariaDB and MySQL < 8.0.19 show them, MySQL 8.0.19+ does not)', () => {
    expect(normalizeColumnType('bigint(20) unsigned')).toBe('bigint unsigned');
    expect(normalizeColumnType('int(11)')).toBe('int');
    expect(normalizeColumnType('varchar(255)')).toBe('varchar(255)');
    const mariadb = table('wp_users', [column('ID', 'bigint(20) unsigned')]);
    const mysql = table('wp_users', [column('ID', 'bigint unsigned')]);
    expect(compareSchemas(mariadb, mysql)).toEqual([]);
  });

  it('names every difference, honours map and ignore', () => {
    const utf = { charset: 'utf8mb4', collation: 'utf8mb4_unicode_520_ci' };
    const live = table('wp_users', [
      column('ID', 'bigint unsigned'),
      column('user_email', 'varchar(100)', utf),
      column('user_url', 'varchar(100)', utf),
      column('nick', 'varchar(50)', { ...utf, nullable: true }),
      column('full', 'varchar(200)', { ...utf, generated: true }),
    ]);
    const backup = table('wp_users', [
      column('ID', 'bigint unsigned'),
      column('user_email', 'varchar(64)', utf),
      column('website', 'varchar(100)', utf),
      column('nick', 'varchar(50)', { charset: 'utf8mb4', collation: 'utf8mb4_bin' }),
      column('full', 'varchar(200)', utf),
      column('legacy_uid', 'int'),
    ]);
    expect(compareSchemas(live, backup).map(describeDifference)).toEqual([
      'column user_email: type varchar(100) in live, varchar(64) in the backup',
      'column user_url (varchar(100)) is in live but not in the backup',
      'column nick: nullability NULL in live, NOT NULL in the backup',
      'column nick: collation utf8mb4_unicode_520_ci in live, utf8mb4_bin in the backup',
      'column full: generated generated in live, stored in the backup',
      'column website (varchar(100)) is in the backup but not in live',
      'column legacy_uid (int) is in the backup but not in live',
    ]);
    const mapped = compareSchemas(live, backup, {
      map: { user_url: 'website' },
      ignore: ['user_email', 'nick', 'full', 'legacy_uid'],
    });
    expect(mapped).toEqual([]);
  });
});

describe('parentsFirst', () => {
  const t = (name: string) => new TableRef('wp', name);
  const fk = (child: TableRef, parent: TableRef): ForeignKey => ({
    name: `${child.name}_fk`,
    child,
    columns: ['parent_id'],
    parent,
    referencedColumns: ['id'],
    onDelete: 'CASCADE',
    onUpdate: 'RESTRICT',
  });
  it('puts parents before children and keeps the given order otherwise', () => {
    const [events, participants, results, other] = [t('events'), t('participants'), t('results'), t('other')];
    const fks = [fk(participants, events), fk(results, participants), fk(participants, participants)];
    expect(parentsFirst([results, other, participants, events], fks).map((x) => x.name)).toEqual([
      'events',
      'participants',
      'results',
      'other',
    ]);
  });
  it('survives a cycle', () => {
    const [a, b] = [t('a'), t('b')];
    expect(
      parentsFirst([a, b], [fk(a, b), fk(b, a)])
        .map((x) => x.name)
        .sort(),
    ).toEqual(['a', 'b']);
  });
});

describe('size limit', () => {
  // Group Replication active = this member is in the group (the topology has its state), else null.
  const server = (active: boolean, limit: number | null) =>
    ({
      galera: null,
      groupReplication: active
        ? { role: 'PRIMARY', state: 'ONLINE', transactionSizeLimit: limit ?? 0 }
        : null,
    }) as unknown as ClusterTopology;
  it('uses Group Replication’s limit only when it is active and non-zero, and the smaller of it and a cap', () => {
    expect(transactionSizeLimit(server(false, 150_000_000))).toBeNull();
    expect(transactionSizeLimit(server(true, 0))).toBeNull();
    expect(transactionSizeLimit(server(true, 150_000_000))).toBe(150_000_000);
    expect(transactionSizeLimit(server(true, 150_000_000), 1000)).toBe(1000);
    expect(() => checkWriteSize(server(true, 150_000_000), 200_000_000)).toThrow(
      /over the limit of 150000000/,
    );
    expect(() => checkWriteSize(server(false, null), 200_000_000)).not.toThrow();
  });
});

describe('textDiff', () => {
  it('marks word changes in serialized PHP and shortens long unchanged stretches', () => {
    const before = `a:2:{s:5:"roles";s:10:"subscriber";s:3:"bio";s:80:"${'x'.repeat(80)}";}`;
    const after = `a:2:{s:5:"roles";s:13:"administrator";s:3:"bio";s:80:"${'x'.repeat(80)}";}`;
    const diff = textDiff(before, after);
    expect(diff).toContain('[-subscriber-]{+administrator+}');
    expect(diff).toContain('[-10-]{+13+}');
    expect(diff.length).toBeLessThan(before.length + 40);
  });
});

describe('generated SQL per flavour', () => {
  const table = new TableRef('rb_fix', 'scope__users');
  it('collapses duplicate explicit scope keys with VALUES() on MariaDB and a row alias on MySQL 8.0.19+', () => {
    expect(
      scopeKeysInsertSql(
        { flavour: 'mariadb', version: '10.11.9' },
        table,
        ['object_id', 'term_taxonomy_id'],
        2,
      ),
    ).toBe(
      'INSERT INTO `rb_fix`.`scope__users` (`object_id`, `term_taxonomy_id`) VALUES (?, ?), (?, ?) ON DUPLICATE KEY UPDATE `object_id` = VALUES(`object_id`)',
    );
    expect(scopeKeysInsertSql({ flavour: 'mysql', version: '8.4.3' }, table, ['ID'], 1)).toBe(
      'INSERT INTO `rb_fix`.`scope__users` (`ID`) VALUES (?) AS `rb_new` ON DUPLICATE KEY UPDATE `ID` = `rb_new`.`ID`',
    );
    expect(scopeKeysInsertSql({ flavour: 'mysql', version: '8.0.18' }, table, ['ID'], 1)).toBe(
      'INSERT INTO `rb_fix`.`scope__users` (`ID`) VALUES (?) ON DUPLICATE KEY UPDATE `ID` = VALUES(`ID`)',
    );
  });

  it('deletes through a key table without aliasing the deleted table (MariaDB 1046 without a default schema)', () => {
    const live = new TableRef('wp', 'wp_usermeta');
    const keys = new TableRef('rb_fix', 'keys__restore__wp_usermeta');
    expect(deleteJoinedSql(live, ['umeta_id'], keys, 'k', ['umeta_id'], "`k`.rb_action = 'd'")).toBe(
      "DELETE `wp`.`wp_usermeta` FROM `wp`.`wp_usermeta` JOIN `rb_fix`.`keys__restore__wp_usermeta` AS `k` ON `wp`.`wp_usermeta`.`umeta_id` = `k`.`umeta_id` WHERE `k`.rb_action = 'd'",
    );
  });
});
