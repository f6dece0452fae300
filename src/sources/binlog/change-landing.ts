import { CompiledQuery, type Kysely } from 'kysely';
import { quoteId, type TableRef } from '../../db/index.ts';
import type { LandingTable, LandingZone } from '../landing-zone.ts';
import type { KeyChanges } from './change-fold.ts';
import { CHANGE_COLUMNS as C } from './changes-table.ts';
import type { LiveTableShape } from './live-table-shape.ts';

const KIND_TYPE = "ENUM('insert','update','delete')";

/**
 * The two workspace tables of one recovered table, written batch by batch as the log streams by:
 * `before` (the live definition) gets each key's image from just before its first change in the
 * window — the first batch to write a key wins — and `changes` one row per key with the first and last
 * change and the last after-image. Keys the window inserted first leave `before` at the end.
 */
export class ChangeLanding {
  readonly shape: LiveTableShape;
  readonly before: LandingTable;
  readonly changes: LandingTable;
  readonly #writable: readonly number[];
  readonly #nonKey: readonly number[];

  private constructor(shape: LiveTableShape, before: LandingTable, changes: LandingTable) {
    this.shape = shape;
    this.before = before;
    this.changes = changes;
    this.#writable = shape.columns.flatMap((c, i) => (c.generated ? [] : [i]));
    this.#nonKey = this.#writable.filter((i) => !shape.key.includes(i));
  }

  static async create(
    zone: LandingZone,
    shape: LiveTableShape,
    names: { readonly before: TableRef; readonly changes: TableRef; readonly changesSource: string },
  ): Promise<ChangeLanding> {
    const where = `SHOW CREATE TABLE ${shape.schema}.${shape.table}`;
    await zone.createFromDdl(names.before, shape.createTable, where);
    const column = (i: number, nullable: boolean) =>
      `${quoteId(shape.columns[i]!.name)} ${shape.columns[i]!.definition} ${nullable ? 'NULL' : 'NOT NULL'}`;
    const ddl = [
      ...shape.key.map((i) => column(i, false)),
      `${quoteId(C.firstFile)} VARCHAR(255) NOT NULL`,
      `${quoteId(C.firstPosition)} BIGINT UNSIGNED NOT NULL`,
      `${quoteId(C.firstGtid)} VARCHAR(128) NULL`,
      `${quoteId(C.firstKind)} ${KIND_TYPE} NOT NULL`,
      `${quoteId(C.lastFile)} VARCHAR(255) NOT NULL`,
      `${quoteId(C.lastPosition)} BIGINT UNSIGNED NOT NULL`,
      `${quoteId(C.lastGtid)} VARCHAR(128) NULL`,
      `${quoteId(C.lastKind)} ${KIND_TYPE} NOT NULL`,
      `${quoteId(C.kinds)} SET('insert','update','delete') NOT NULL`,
      `${quoteId(C.events)} INT UNSIGNED NOT NULL`,
      ...shape.columns.flatMap((c, i) => (c.generated || shape.key.includes(i) ? [] : [column(i, true)])),
      `PRIMARY KEY (${shape.key.map((i) => quoteId(shape.columns[i]!.name)).join(', ')})`,
    ];
    await zone.run(
      names.changes,
      `CREATE TABLE ${names.changes.qualified} (\n  ${ddl.join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      `the changes of ${shape.schema}.${shape.table}`,
    );
    return new ChangeLanding(
      shape,
      { sourceSchema: shape.schema, sourceTable: shape.table, table: names.before },
      { sourceSchema: shape.schema, sourceTable: names.changesSource, table: names.changes },
    );
  }

  /** Writes one batch of folded keys (on a session with time_zone '+00:00'). */
  async write(db: Kysely<any>, entries: readonly KeyChanges[]): Promise<void> {
    if (entries.length === 0) return;
    const name = (i: number) => quoteId(this.shape.columns[i]!.name);
    const firstKey = name(this.shape.key[0]!);
    const images = entries.filter((e) => e.before !== null);
    if (images.length > 0) {
      const params: unknown[] = [];
      const rows = images.map((e) => {
        for (const i of this.#writable) params.push(e.before![i]);
        return `(${this.#writable.map(() => '?').join(', ')})`;
      });
      await db.executeQuery(
        CompiledQuery.raw(
          `INSERT INTO ${this.before.table.qualified} (${this.#writable.map(name).join(', ')}) VALUES ${rows.join(', ')} ` +
            // An earlier batch already holds the image from before the key's first change: keep it.
            `ON DUPLICATE KEY UPDATE ${firstKey} = ${firstKey}`,
          params,
        ),
      );
    }
    const meta = [
      C.firstFile,
      C.firstPosition,
      C.firstGtid,
      C.firstKind,
      C.lastFile,
      C.lastPosition,
      C.lastGtid,
      C.lastKind,
      C.kinds,
      C.events,
    ];
    const columns = [...this.shape.key.map(name), ...meta.map(quoteId), ...this.#nonKey.map(name)];
    const params: unknown[] = [];
    const rows = entries.map((e) => {
      params.push(...e.key);
      params.push(
        e.firstFile,
        e.firstPosition,
        e.firstGtid,
        e.firstKind,
        e.lastFile,
        e.lastPosition,
        e.lastGtid,
        e.lastKind,
      );
      params.push([...e.kinds].join(','), e.events);
      for (const i of this.#nonKey) params.push(e.after ? e.after[i] : null);
      return `(${columns.map(() => '?').join(', ')})`;
    });
    const later = (c: string) => `${c} = VALUES(${c})`;
    const updates = [
      ...[C.lastFile, C.lastPosition, C.lastGtid, C.lastKind].map((c) => later(quoteId(c))),
      `${quoteId(C.kinds)} = ${quoteId(C.kinds)} | VALUES(${quoteId(C.kinds)})`,
      `${quoteId(C.events)} = ${quoteId(C.events)} + VALUES(${quoteId(C.events)})`,
      ...this.#nonKey.map((i) => later(name(i))),
    ];
    await db.executeQuery(
      CompiledQuery.raw(
        `INSERT INTO ${this.changes.table.qualified} (${columns.join(', ')}) VALUES ${rows.join(', ')} ON DUPLICATE KEY UPDATE ${updates.join(', ')}`,
        params,
      ),
    );
  }

  /** Rows the window inserted were not there before it: their keys leave the before-images. */
  async finish(db: Kysely<any>): Promise<void> {
    const before = this.before.table.qualified;
    const on = this.shape.key
      .map((i) => quoteId(this.shape.columns[i]!.name))
      .map((c) => `c.${c} = ${before}.${c}`)
      .join(' AND ');
    // The deleted table unaliased: MariaDB answers "No database selected" to `DELETE b FROM db.x AS b`
    // on a connection without a default schema.
    await db.executeQuery(
      CompiledQuery.raw(
        `DELETE ${before} FROM ${before} JOIN ${this.changes.table.qualified} AS c ON ${on} WHERE c.${quoteId(C.firstKind)} = 'insert'`,
      ),
    );
  }
}
