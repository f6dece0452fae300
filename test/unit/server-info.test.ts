import { readFileSync } from 'node:fs';
import { SERVER_VARIABLES, type ServerInfoRows, serverInfoFromRows } from 'rowback';
import { describe, expect, it } from 'vitest';

/** Rows assembled from the MySQL 8.0/8.4 manuals; see fixtures/server-info/README.md. */
const rows = (name: string): ServerInfoRows =>
  JSON.parse(readFileSync(new URL(`../../fixtures/server-info/${name}.json`, import.meta.url), 'utf8'));

describe('serverInfoFromRows', () => {
  it('reads MySQL 8.0 with stock defaults: local_infile off, no GIPK, no Group Replication', () => {
    expect(serverInfoFromRows(rows('mysql-8.0'))).toEqual({
      flavour: 'mysql',
      version: '8.0.36',
      versionString: '8.0.36',
      serverUuid: '041f26d8-f3f3-11e8-adff-080027337932',
      hostname: 'db-8-0',
      serverId: 1,
      defaultSchema: 'wordpress',
      currentUser: 'rowback@%',
      sqlMode:
        'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION',
      lowerCaseTableNames: 0,
      groupReplication: { active: false, transactionSizeLimit: null },
      requirePrimaryKey: false,
      generateInvisiblePrimaryKey: false,
      localInfile: false,
    });
  });

  it('reads MySQL 8.4 the same way', () => {
    const info = serverInfoFromRows(rows('mysql-8.4'));
    expect(info).toMatchObject({
      flavour: 'mysql',
      version: '8.4.3',
      defaultSchema: null,
      localInfile: false,
    });
    expect(info.serverUuid).toBe('e059ce5c-2691-11ec-8632-00059a3c7a00');
    expect(Object.isFrozen(info) && Object.isFrozen(info.groupReplication)).toBe(true);
  });

  it('reads a Group Replication member: plugin loaded, performance_schema unreadable, GIPK and PK required', () => {
    const info = serverInfoFromRows(rows('mysql-8.4-group-replication-member'));
    expect(info).toMatchObject({
      flavour: 'mysql',
      version: '8.4.3',
      versionString: '8.4.3-commercial',
      serverId: 4410,
      lowerCaseTableNames: 1,
      requirePrimaryKey: true,
      generateInvisiblePrimaryKey: true,
      // The size limit comes from the plugin's variable; membership cannot be told without the table.
      groupReplication: { active: false, transactionSizeLimit: 150_000_000 },
    });
    const readable = { ...rows('mysql-8.4-group-replication-member'), onlineGroupMembers: 3 };
    expect(serverInfoFromRows(readable).groupReplication).toEqual({
      active: true,
      transactionSizeLimit: 150_000_000,
    });
  });

  it('reads MariaDB: no server_uuid (a stand-in), innodb_force_primary_key, never GIPK or Group Replication', () => {
    const info = serverInfoFromRows({
      basics: {
        versionString: '10.11.9-MariaDB-0+deb12u1-log',
        hostname: 'maria',
        serverId: '7',
        defaultSchema: 'wp',
        currentUser: 'root@localhost',
        sqlMode: 'STRICT_TRANS_TABLES',
        lowerCaseTableNames: '0',
        localInfile: '1',
      },
      variables: [
        { Variable_name: 'innodb_force_primary_key', Value: 'ON' },
        // A stray name must not make MariaDB look like MySQL.
        { Variable_name: 'sql_generate_invisible_primary_key', Value: 'ON' },
      ],
      onlineGroupMembers: 2,
    });
    expect(info).toMatchObject({
      flavour: 'mariadb',
      version: '10.11.9',
      serverUuid: 'mariadb:7@maria',
      requirePrimaryKey: true,
      generateInvisiblePrimaryKey: false,
      groupReplication: { active: false, transactionSizeLimit: null },
      localInfile: true,
    });
  });

  it('asks for every variable it reads', () => {
    expect(SERVER_VARIABLES).toEqual([
      'server_uuid',
      'sql_require_primary_key',
      'innodb_force_primary_key',
      'sql_generate_invisible_primary_key',
      'group_replication_transaction_size_limit',
    ]);
  });
});
