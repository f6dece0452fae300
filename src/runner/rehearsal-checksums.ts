import { sql } from 'kysely';
import { quoteQualified, type Target } from '../db/index.ts';

/** `CHECKSUM TABLE … EXTENDED` of each table (null where the server gives none), by table name. */
export async function tableChecksums(
  target: Target,
  schema: string,
  tables: readonly string[],
): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  for (const table of tables) {
    const result = await sql
      .raw<{ Checksum: string | number | null }>(`CHECKSUM TABLE ${quoteQualified(schema, table)} EXTENDED`)
      .execute(target.db);
    const value = result.rows[0]?.Checksum;
    out.set(table, value === null || value === undefined ? null : String(value));
  }
  return out;
}
