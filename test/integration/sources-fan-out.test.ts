import { fromMysqldump, isErrorNamed, sql, type Target } from 'rowback';
import { describe, expect, inject, it } from 'vitest';
import { checksum, clientLoad, count, tablesOf, unique, workspace } from './sources-helpers.ts';

// Past the 8 MiB after which a table's rows are spread over two LOAD DATA streams (table-loader.ts).
const ROWS = 60_000;
const STATEMENT_ROWS = 1_000;

const CREATE_BIG =
  'CREATE TABLE `big` (`id` int unsigned NOT NULL AUTO_INCREMENT, `k` int NOT NULL, `v` varchar(300) DEFAULT NULL, ' +
  'PRIMARY KEY (`id`), KEY `k` (`k`)) ENGINE=InnoDB AUTO_INCREMENT=60001 DEFAULT CHARSET=utf8mb4;\n';

function row(id: number, tag = 'v'): string {
  return `(${id},${(id * 7919) % 1000},'${tag}${id} ${'x'.repeat(200 + (id % 50))}\\'s')`;
}

/** A mysqldump-like file of `big` (~15 MB) plus a small table after it; `verb` INSERT or REPLACE. */
function dump(ids: readonly number[], verb = 'INSERT', tag?: (i: number) => string): Buffer {
  const parts = [CREATE_BIG];
  for (let at = 0; at < ids.length; at += STATEMENT_ROWS) {
    const chunk = ids.slice(at, at + STATEMENT_ROWS).map((id, k) => row(id, tag?.(at + k)));
    parts.push(`${verb} INTO \`big\` VALUES ${chunk.join(',')};\n`);
  }
  parts.push('CREATE TABLE `small` (`id` int NOT NULL PRIMARY KEY, `s` varchar(10));\n');
  parts.push("INSERT INTO `small` VALUES (1,'a'),(2,'b');\n");
  return Buffer.from(parts.join(''));
}

const sequence = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** Polls the server's process list while `work` runs: the most LOAD DATA statements into `table` at once. */
async function maxConcurrentLoads<T>(
  target: Target,
  table: string,
  work: Promise<T>,
  onTwo?: () => void,
): Promise<{ result: PromiseSettledResult<T>; max: number }> {
  let max = 0;
  let done = false;
  const settled = Promise.allSettled([work]).then(([r]) => {
    done = true;
    return r!;
  });
  while (!done) {
    const r = await sql<{ n: number | string }>`
      SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST
       WHERE INFO LIKE 'LOAD DATA%' AND INFO LIKE ${`%${table}%`}`.execute(target.db);
    max = Math.max(max, Number(r.rows[0]?.n ?? 0));
    if (max >= 2) onTwo?.();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return { result: await settled, max };
}

describe('fromMysqldump: a large table over two LOAD DATA streams', () => {
  it('lands every row exactly once with the client load’s checksum; AUTO_INCREMENT is dropped without a ddlChange', async () => {
    const url = inject('mysqlUrl');
    const ws = await workspace(url);
    const reference = unique('rbt_ref');
    try {
      const bytes = dump(sequence(ROWS));
      const { result, max } = await maxConcurrentLoads(
        ws.target,
        `${ws.schema}\`.\`b__big`,
        fromMysqldump([bytes], { tables: ['big', 'small'] }).extract(ws.context),
      );
      if (result.status === 'rejected') throw result.reason;
      expect(max).toBe(2);
      const extracted = result.value;
      expect(extracted.tables.map((t) => [t.sourceTable, t.rows])).toEqual([
        ['big', ROWS],
        ['small', 2],
      ]);
      expect(extracted.ddlChanges).toEqual([]);
      const created = await sql
        .raw<{ 'Create Table': string }>(`SHOW CREATE TABLE \`${ws.schema}\`.\`b__big\``)
        .execute(ws.target.db);
      expect(created.rows[0]!['Create Table']).not.toMatch(/AUTO_INCREMENT/);
      expect(created.rows[0]!['Create Table']).toMatch(/KEY `k` \(`k`\)/);

      await sql.raw(`CREATE DATABASE \`${reference}\``).execute(ws.target.db);
      await clientLoad(url, reference, { text: bytes });
      expect(extracted.tables[0]!.checksum).toBe(await checksum(ws.target, reference, 'big'));
      expect(await count(ws.target, ws.schema, 'b__big')).toBe(ROWS);
    } finally {
      await sql.raw(`DROP DATABASE IF EXISTS \`${reference}\``).execute(ws.target.db);
      await ws.drop();
    }
  });

  it('a duplicate key across the streams fails the extract in bounded time, ends both loads, drops every table', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      // The first 10,000 rows again at the end (several batches, so both streams get some): a stream
      // that did not load the first copy waits for the other's row locks until that one commits.
      const bytes = dump([...sequence(ROWS), ...sequence(10_000)]);
      const started = Date.now();
      const error = await fromMysqldump([bytes], { tables: ['big', 'small'] })
        .extract(ws.context)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isErrorNamed(error, 'SourceError'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/b__big/);
      // Well under net_read_timeout / innodb_lock_wait_timeout: no stream waited for the other.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
      const loads = await sql<{ n: number | string }>`
        SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ${`%${ws.schema}%`}
           AND INFO NOT LIKE '%PROCESSLIST%'`.execute(ws.target.db);
      expect(Number(loads.rows[0]!.n)).toBe(0);
    } finally {
      await ws.drop();
    }
  });

  it('an abort while both streams load ends them and drops every table', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const bytes = dump(sequence(ROWS));
      // A paced stream, so the reader is still reading when both streams are seen (an abort is honoured
      // between chunks).
      const chunks = (async function* () {
        for (let at = 0; at < bytes.length; at += 65536) {
          yield bytes.subarray(at, at + 65536);
          await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      const controller = new AbortController();
      const { result, max } = await maxConcurrentLoads(
        ws.target,
        `${ws.schema}\`.\`b__big`,
        fromMysqldump(chunks, { tables: ['big', 'small'] }).extract({
          ...ws.context,
          signal: controller.signal,
        }),
        () => controller.abort(),
      );
      expect(max).toBe(2);
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason;
      expect(isErrorNamed(reason, 'SourceError'), String(reason)).toBe(true);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
      const left = await sql<{ n: number | string }>`
        SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ${`%${ws.schema}%`}
           AND INFO NOT LIKE '%PROCESSLIST%'`.execute(ws.target.db);
      expect(Number(left.rows[0]!.n)).toBe(0);
    } finally {
      await ws.drop();
    }
  });

  it('REPLACE statements keep one stream, so the last of two rows with one key wins', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      // Every id twice: first as 'old', then, later in the file, as 'new'.
      const ids = [...sequence(ROWS / 2), ...sequence(ROWS / 2)];
      const bytes = dump(ids, 'REPLACE', (i) => (i < ROWS / 2 ? 'old' : 'new'));
      const { result, max } = await maxConcurrentLoads(
        ws.target,
        `${ws.schema}\`.\`b__big`,
        fromMysqldump([bytes], { tables: ['big'] }).extract(ws.context),
      );
      if (result.status === 'rejected') throw result.reason;
      expect(max).toBe(1);
      expect(result.value.tables[0]!.rows).toBe(ROWS / 2);
      const old = await sql<{ n: number | string }>`
        SELECT COUNT(*) AS n FROM ${sql.id(ws.schema, 'b__big')} WHERE v LIKE 'old%'`.execute(ws.target.db);
      expect(Number(old.rows[0]!.n)).toBe(0);
    } finally {
      await ws.drop();
    }
  });
});

describe('fromMysqldump: loads of one table keep the dump order', () => {
  it('REPLACE rows after another table land after the rows before it: the later row wins', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      // A large REPLACE load of `big` (~30 MB, its last row id 1 'first') ends when another table starts,
      // while the server is still working through it; the row after the other table must not overtake it.
      const parts = [CREATE_BIG];
      const ids = sequence(2 * ROWS).filter((id) => id !== 1);
      for (let at = 0; at < ids.length; at += STATEMENT_ROWS)
        parts.push(
          `REPLACE INTO \`big\` VALUES ${ids
            .slice(at, at + STATEMENT_ROWS)
            .map((id) => row(id))
            .join(',')};\n`,
        );
      parts.push("REPLACE INTO `big` VALUES (1,7,'first');\n");
      parts.push('CREATE TABLE `other` (`id` int NOT NULL PRIMARY KEY);\nINSERT INTO `other` VALUES (1);\n');
      parts.push("REPLACE INTO `big` VALUES (1,7,'second');\n");
      const result = await fromMysqldump([Buffer.from(parts.join(''))], { tables: ['big'] }).extract(
        ws.context,
      );
      expect(result.tables[0]!.rows).toBe(2 * ROWS);
      const one = await sql<{ v: string }>`
        SELECT v FROM ${sql.id(ws.schema, 'b__big')} WHERE id = 1`.execute(ws.target.db);
      expect(one.rows[0]!.v).toBe('second');
    } finally {
      await ws.drop();
    }
  });

  it('an INSERT that leaves out the AUTO_INCREMENT column is refused over LOAD DATA and numbered with insert', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const text =
        'CREATE TABLE `t` (`id` int NOT NULL AUTO_INCREMENT, `v` varchar(10), PRIMARY KEY (`id`));\n' +
        "INSERT INTO `t` (`v`) VALUES ('a'),('b');\n";
      const refused = fromMysqldump([Buffer.from(text)], { tables: ['t'], method: 'load-data' }).extract(
        ws.context,
      );
      await expect(refused).rejects.toThrow(/leaves out its AUTO_INCREMENT column id.*method: 'insert'/);
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
      await fromMysqldump([Buffer.from(text)], { tables: ['t'], method: 'insert' }).extract(ws.context);
      const rows = await sql<{ id: number; v: string }>`
        SELECT id, v FROM ${sql.id(ws.schema, 'b__t')} ORDER BY id`.execute(ws.target.db);
      expect(rows.rows.map((r) => [Number(r.id), r.v])).toEqual([
        [1, 'a'],
        [2, 'b'],
      ]);
    } finally {
      await ws.drop();
    }
  });
});

describe('fromMysqldump: index builds and checks while the next table loads', () => {
  it('a deferred index the server refuses fails the extract with the reason, and nothing is left behind', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      // The index names a column the table lacks: CREATE passes (the index is deferred), the ALTER fails
      // in the background while the big table after it loads.
      const bad =
        'CREATE TABLE `bad` (`id` int NOT NULL, PRIMARY KEY (`id`), KEY `gone` (`nope`));\n' +
        'INSERT INTO `bad` VALUES (1),(2);\n';
      const bytes = Buffer.concat([Buffer.from(bad), dump(sequence(ROWS))]);
      const error = await fromMysqldump([bytes], { tables: ['bad', 'big'] })
        .extract(ws.context)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isErrorNamed(error, 'SourceError'), String(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /rejected the indexes of b__bad \(from stream at byte 0\).*nope/,
      );
      expect(await tablesOf(ws.target, ws.schema)).toEqual([]);
    } finally {
      await ws.drop();
    }
  });

  it('a table whose rows come back after it landed is counted and checksummed again', async () => {
    const ws = await workspace(inject('mysqlUrl'));
    try {
      const bytes = Buffer.from(
        'CREATE TABLE `t` (`id` int NOT NULL, `v` int, PRIMARY KEY (`id`), KEY `v` (`v`));\n' +
          'INSERT INTO `t` VALUES (1,1),(2,2);\n' +
          // Another table in between ends t's load (its indexes and checks start) ...
          'CREATE TABLE `other` (`id` int NOT NULL PRIMARY KEY);\nINSERT INTO `other` VALUES (1);\n' +
          // ... then more rows of t, as a hand-made file may have them.
          'INSERT INTO `t` VALUES (3,3);\n',
      );
      const result = await fromMysqldump([bytes], { tables: ['t'] }).extract(ws.context);
      expect(result.tables[0]!.rows).toBe(3);
      expect(result.tables[0]!.checksum).toBe(await checksum(ws.target, ws.schema, 'b__t'));
    } finally {
      await ws.drop();
    }
  });
});
