import { copyFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinlog, isErrorNamed, sql } from 'rowback';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinlogServer, startBinlogServer } from './binlog-helpers.ts';
import { rowsDigest, tablesOf, unique, workspace } from './sources-helpers.ts';

const TYPES = `CREATE TABLE ty (
  id INT UNSIGNED PRIMARY KEY, ti TINYINT, tu TINYINT UNSIGNED, si SMALLINT, mi MEDIUMINT UNSIGNED, bi BIGINT,
  bu BIGINT UNSIGNED, f FLOAT, d DOUBLE, dec1 DECIMAL(20,6), dec2 DECIMAL(5,2), vc VARCHAR(20), vl VARCHAR(300),
  ch CHAR(10), bin BINARY(4), vb VARBINARY(10), tx TEXT, bl BLOB, lb LONGBLOB, js JSON, g GEOMETRY,
  e ENUM('a','b','c'), st SET('x','y','z'), bt BIT(10), yr YEAR, dt DATE, tm TIME(3), dtm DATETIME(6),
  ts TIMESTAMP(2) NULL DEFAULT NULL, dt0 DATETIME, zd DATE, tm0 TIME, ts0 TIMESTAMP NULL DEFAULT NULL,
  gen INT AS (id * 2) VIRTUAL)`;

const ROW = (id: number, text: string) =>
  `INSERT INTO ty (id, ti, tu, si, mi, bi, bu, f, d, dec1, dec2, vc, vl, ch, bin, vb, tx, bl, lb, js, g, e, st, bt, yr, dt, tm, dtm, ts, dt0, zd, tm0, ts0)
   VALUES (${id}, -5, 250, -300, 70000, -9000000000, 18446744073709551615, 1.5, -2.25, -12345678901234.123456, 123.45,
   '${text}', REPEAT('x', 280), 'chr', 0x01020304, 0xff00, 'text é ${id}', 0xdeadbeef, REPEAT('L', 70000),
   '{"a": [1, 2.5, "s", null, true], "b": {"c": -7}}', ST_GeomFromText('POINT(1 2)'), 'b', 'x,z', b'1010101011',
   2024, '2024-02-29', '-12:34:56.789', '2024-05-16 20:27:19.742844', '2024-05-16 20:27:19.74', '1999-12-31 23:59:59',
   '0000-00-00', '838:59:59', '2038-01-19 03:14:07')`;

describe('fromBinlog on a private MariaDB server with log-bin, ROW, FULL', () => {
  let log: BinlogServer;
  const schema = unique('rbt_live');
  let start: { file: string; position: number };
  let stop: { file: string; position: number };
  let ground: string;
  let startGtid: [number, number, number];
  const gtidPosition = async () => {
    const pos = await sql<{ pos: string }>`SELECT @@gtid_binlog_pos AS pos`.execute(log.target.db);
    return String(pos.rows[0]!.pos).split('-').map(Number) as [number, number, number];
  };

  beforeAll(async () => {
    log = await startBinlogServer();
    await log.run(`CREATE DATABASE ${schema};\n`);
    await log.run(
      `${TYPES};\n${ROW(1, 'one')};\n${ROW(2, 'two')};\n${ROW(3, 'three')};\n${ROW(4, 'four')};\n${ROW(9, 'untouched')};\n`,
      schema,
    );
    // The ground truth: rows 1-4 as they are just before the window.
    await log.run(
      `CREATE TABLE truth LIKE ty;\nINSERT INTO truth (id) SELECT 0 FROM DUAL WHERE FALSE;\n`,
      schema,
    );
    await log.run(
      'INSERT INTO truth (id, ti, tu, si, mi, bi, bu, f, d, dec1, dec2, vc, vl, ch, bin, vb, tx, bl, lb, js, g, e, st, bt, yr, dt, tm, dtm, ts, dt0, zd, tm0, ts0) ' +
        'SELECT id, ti, tu, si, mi, bi, bu, f, d, dec1, dec2, vc, vl, ch, bin, vb, tx, bl, lb, js, g, e, st, bt, yr, dt, tm, dtm, ts, dt0, zd, tm0, ts0 FROM ty WHERE id IN (1, 2, 3, 4);\n',
      schema,
    );
    ground = await rowsDigest(log.target, schema, 'truth');
    start = await log.position();
    startGtid = await gtidPosition();
    await log.run(
      [
        "UPDATE ty SET vc = 'bad', bi = bi + 1, js = '{\"x\": 1}', tm = '01:02:03.004', e = 'c' WHERE id = 1",
        'DELETE FROM ty WHERE id = 2',
        "UPDATE ty SET vc = 'bad-3a' WHERE id = 3",
        "UPDATE ty SET vc = 'bad-3b', st = 'y' WHERE id = 3",
        'UPDATE ty SET id = 40 WHERE id = 4',
        `${ROW(5, 'inserted')}`,
      ].join(';\n'),
      schema,
    );
    stop = await log.position();
    await log.run("UPDATE ty SET vc = 'later' WHERE id = 3", schema);
  });
  afterAll(async () => {
    await log?.stop();
  });

  async function extract(options: Partial<Parameters<typeof fromBinlog>[0]> = {}) {
    const ws = await workspace(log.server.url);
    try {
      const result = await fromBinlog({ schema, tables: ['ty'], start, stop, ...options }).extract(
        ws.context,
      );
      const before = await rowsDigest(ws.target, ws.schema, 'b__ty');
      const changes = await sql<Record<string, unknown>>`
        SELECT id, rb_first_kind, rb_last_kind, rb_kinds, rb_events, vc, rb_first_gtid IS NOT NULL AS has_gtid
          FROM ${sql.id(ws.schema, 'b__ty__changes')} ORDER BY id`.execute(ws.target.db);
      return { result, before, changes: changes.rows };
    } finally {
      await ws.drop();
    }
  }

  const expectedChanges = [
    { id: 1, rb_first_kind: 'update', rb_last_kind: 'update', rb_kinds: 'update', rb_events: 1, vc: 'bad' },
    { id: 2, rb_first_kind: 'delete', rb_last_kind: 'delete', rb_kinds: 'delete', rb_events: 1, vc: null },
    {
      id: 3,
      rb_first_kind: 'update',
      rb_last_kind: 'update',
      rb_kinds: 'update',
      rb_events: 2,
      vc: 'bad-3b',
    },
    { id: 4, rb_first_kind: 'delete', rb_last_kind: 'delete', rb_kinds: 'delete', rb_events: 1, vc: null },
    {
      id: 5,
      rb_first_kind: 'insert',
      rb_last_kind: 'insert',
      rb_kinds: 'insert',
      rb_events: 1,
      vc: 'inserted',
    },
    { id: 40, rb_first_kind: 'insert', rb_last_kind: 'insert', rb_kinds: 'insert', rb_events: 1, vc: 'four' },
  ];

  it('from the server (replication protocol): before-images equal the rows just before the window; one change row per key', async () => {
    const { result, before, changes } = await extract();
    expect(before).toBe(ground);
    expect(changes.map(({ has_gtid, ...c }) => ({ ...c, rb_events: Number(c.rb_events) }))).toEqual(
      expectedChanges,
    );
    expect(changes.every((c) => Number(c.has_gtid) === 1)).toBe(true);
    expect(result.tables.map((t) => [t.sourceTable, t.rows])).toEqual([
      ['ty', 4],
      ['ty:changes', 6],
    ]);
    expect(result.provenance).toMatchObject({ source: 'binlog', transactions: 6, rowChanges: 6 });
  });

  it('from binlog files on disk gives the same rows', async () => {
    const files = await log.files();
    const { before, changes } = await extract({
      files: files.filter((f) => f.endsWith(start.file.slice(-6)) || f > join(log.logDir, start.file)),
    });
    expect(before).toBe(ground);
    expect(changes.map(({ has_gtid, ...c }) => ({ ...c, rb_events: Number(c.rb_events) }))).toEqual(
      expectedChanges,
    );
  });

  it('a window by GTID, and a GTID filter, select the same transactions', async () => {
    // The window's six transactions follow the GTID position taken at its start.
    const [domain, server, last] = startGtid;
    const first = `${domain}-${server}-${last + 1}`;
    const sixth = `${domain}-${server}-${last + 6}`;
    const { before } = await extract({ start: { gtid: first }, stop: { gtid: sixth } });
    expect(before).toBe(ground);
    const only = await extract({
      start: { gtid: first },
      stop: { gtid: sixth },
      transactions: { gtids: [`${domain}-${server}-${last + 2}`] },
    });
    expect(only.changes.map((c) => c.id)).toEqual([2]);
  });

  it('a statement filter selects by the annotated statement (MariaDB binlog_annotate_row_events)', async () => {
    const { changes } = await extract({ transactions: { statement: /DELETE FROM ty/ } });
    expect(changes.map((c) => c.id)).toEqual([2]);
  });

  it('decodes MariaDB compressed events (log_bin_compress=ON) to the same rows', async () => {
    await log.run(
      `CREATE TABLE zc LIKE ty;\nINSERT INTO zc (id, vc, lb, js) SELECT id, vc, lb, js FROM ty WHERE id IN (1, 3);\nCREATE TABLE zc_truth LIKE zc;\nINSERT INTO zc_truth (id, vc, lb, js) SELECT id, vc, lb, js FROM zc;\n`,
      schema,
    );
    const from = await log.position();
    await log.run('SET GLOBAL log_bin_compress = ON;\n');
    try {
      await log.run(
        "UPDATE zc SET vc = 'zipped', lb = REPEAT('Z', 5000) WHERE id = 1;\nDELETE FROM zc WHERE id = 3;\n",
        schema,
      );
    } finally {
      await log.run('SET GLOBAL log_bin_compress = OFF;\n');
    }
    const to = await log.position();
    const ws = await workspace(log.server.url);
    try {
      await fromBinlog({ schema, tables: ['zc'], start: from, stop: to }).extract(ws.context);
      expect(await rowsDigest(ws.target, ws.schema, 'b__zc')).toBe(
        await rowsDigest(log.target, schema, 'zc_truth'),
      );
    } finally {
      await ws.drop();
    }
  });

  async function refuses(
    options: Partial<Parameters<typeof fromBinlog>[0]>,
    pattern: RegExp,
    name = 'SourceError',
  ) {
    const ws = await workspace(log.server.url);
    try {
      const error = await fromBinlog({ schema, tables: ['ty'], start, stop, ...options })
        .extract(ws.context)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isErrorNamed(error, name), String(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(pattern);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
    } finally {
      await ws.drop();
    }
  }

  it('refuses a window with no row changes of the tables, leaving nothing in the workspace', async () => {
    await refuses({ start: stop, stop }, /no row changes of ty/);
  });

  it('refuses a start that is not in the log (purged), naming the setting', async () => {
    await refuses(
      { start: { file: 'binlog.000000', position: 4 } },
      /binlog_expire_logs_seconds/,
      'BinlogSettingError',
    );
    await refuses({ start: { gtid: '0-1-999999' } }, /purged/, 'BinlogSettingError');
    await refuses(
      { start: { time: '2000-01-01T00:00:00Z' } },
      /first transaction in the log .* is already inside the window/,
      'BinlogSettingError',
    );
  });

  it('refuses a truncated file and a file that is not a binary log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rowback-binlog-'));
    try {
      const files = await log.files();
      const copy = join(dir, start.file);
      await copyFile(join(log.logDir, start.file), copy);
      await truncate(copy, stop.position - 7);
      await refuses({ files: [copy] }, /ends inside an event/);
      const foreign = join(dir, 'binlog.000099');
      await writeFile(foreign, '-- MariaDB dump 10.19\nCREATE TABLE t (id int);\n');
      await refuses({ files: [foreign], start: { gtid: '0-1-1' } }, /not a binary log/);
      expect(files.length).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses statement-logged changes (binlog_format) and minimal images (binlog_row_image), naming the setting', async () => {
    const from = await log.position();
    await log.run(
      "SET SESSION binlog_format = 'STATEMENT';\nUPDATE ty SET vc = 'stmt' WHERE id = 9;\nSET SESSION binlog_format = 'ROW';\n",
      schema,
    );
    const to = await log.position();
    await refuses({ start: from, stop: to }, /binlog_format must be ROW/, 'BinlogSettingError');
    const minimalFrom = await log.position();
    await log.run(
      "SET SESSION binlog_row_image = 'MINIMAL';\nUPDATE ty SET vc = 'minimal' WHERE id = 9;\nSET SESSION binlog_row_image = 'FULL';\n",
      schema,
    );
    const minimalTo = await log.position();
    await refuses(
      { start: minimalFrom, stop: minimalTo },
      /binlog_row_image must be FULL/,
      'BinlogSettingError',
    );
  });

  it('refuses a table whose definition changed inside the window', async () => {
    const from = await log.position();
    await log.run(
      "UPDATE ty SET vc = 'pre-ddl' WHERE id = 9;\nALTER TABLE ty COMMENT = 'changed';\nUPDATE ty SET vc = 'post-ddl' WHERE id = 9;\n",
      schema,
    );
    const to = await log.position();
    await refuses({ start: from, stop: to }, /definition of .*ty changed inside the window/);
  });
});

describe('fromBinlog on a server without a binary log', () => {
  it('refuses, naming log_bin, and leaves nothing behind', async () => {
    const { inject } = await import('vitest');
    const ws = await workspace(inject('mysqlUrl'));
    try {
      await sql.raw(`CREATE TABLE ${ws.schema}.t (id INT PRIMARY KEY)`).execute(ws.target.db);
      const error = await fromBinlog({
        schema: ws.schema,
        tables: ['t'],
        start: { file: 'binlog.000001', position: 4 },
      })
        .extract({ ...ws.context, tableName: (t) => `x__${t}` })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isErrorNamed(error, 'BinlogSettingError'), String(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(/log_bin must be ON/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual(['t']);
    } finally {
      await ws.drop();
    }
  });
});
