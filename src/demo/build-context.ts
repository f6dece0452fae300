import { type Kysely, sql } from 'kysely';
import { TableRef } from '../db/index.ts';
import { BatchInsert } from './batch-insert.ts';
import type { IncidentPlan } from './incident-plan.ts';

export interface IncidentTables {
  readonly users: TableRef;
  readonly usermeta: TableRef;
  readonly options: TableRef;
  readonly events: TableRef;
  readonly imports: TableRef;
  readonly participants: TableRef;
  readonly results: TableRef;
}

export function incidentTables(schema: string): IncidentTables {
  return Object.freeze({
    users: new TableRef(schema, 'wp_users'),
    usermeta: new TableRef(schema, 'wp_usermeta'),
    options: new TableRef(schema, 'wp_options'),
    events: new TableRef(schema, 'wp_ep_events'),
    imports: new TableRef(schema, 'wp_ep_imports'),
    participants: new TableRef(schema, 'wp_ep_participants'),
    results: new TableRef(schema, 'wp_ep_results'),
  });
}

/**
 * State shared by the build phases: one pinned connection (session settings hold), the plan, and the
 * next id of each table. Ids are given explicitly rather than left to AUTO_INCREMENT so a seed gives the
 * same ids whatever `innodb_autoinc_lock_mode` or the server's auto-increment step.
 */
export class BuildContext {
  readonly db: Kysely<any>;
  readonly schema: string;
  readonly tables: IncidentTables;
  readonly plan: IncidentPlan;
  readonly seed: number;
  nextUmetaId = 1;
  nextParticipantId = 1;
  nextResultId = 1;
  nextEventId = 1;

  constructor(db: Kysely<any>, schema: string, plan: IncidentPlan) {
    this.db = db;
    this.schema = schema;
    this.tables = incidentTables(schema);
    this.plan = plan;
    this.seed = plan.seed;
  }

  inserter(table: TableRef, columns: readonly string[]): BatchInsert {
    return new BatchInsert(this.db, table, columns);
  }

  /**
   * `update_user_meta()` semantics: updates every row of the key, or inserts one when the user has none.
   * Returns whether a row was inserted.
   */
  async setMeta(userId: number, key: string, value: string): Promise<void> {
    const { usermeta } = this.tables;
    const existing = await sql<{ umeta_id: string }>`
      SELECT umeta_id FROM ${usermeta} WHERE user_id = ${userId} AND meta_key = ${key}`.execute(this.db);
    if (existing.rows.length > 0) {
      await sql`UPDATE ${usermeta} SET meta_value = ${value} WHERE user_id = ${userId} AND meta_key = ${key}`.execute(
        this.db,
      );
    } else {
      await sql`INSERT INTO ${usermeta} (umeta_id, user_id, meta_key, meta_value)
        VALUES (${this.nextUmetaId++}, ${userId}, ${key}, ${value})`.execute(this.db);
    }
  }

  async deleteMeta(userId: number, key: string): Promise<void> {
    await sql`DELETE FROM ${this.tables.usermeta} WHERE user_id = ${userId} AND meta_key = ${key}`.execute(
      this.db,
    );
  }

  async transaction<T>(work: () => Promise<T>): Promise<T> {
    await sql`START TRANSACTION`.execute(this.db);
    try {
      const result = await work();
      await sql`COMMIT`.execute(this.db);
      return result;
    } catch (error) {
      await sql`ROLLBACK`.execute(this.db);
      throw error;
    }
  }
}
