import { createConnection } from 'mysql2/promise';

/**
 * One statement on its own short-lived root connection to a loopback test server: the harness asks
 * nodes about their state while some of them are starting, killed or out of the cluster, so it must
 * not hold a pool on any of them.
 */
export async function adminQuery<Row = Record<string, unknown>>(
  port: number,
  statement: string,
  values: readonly (string | number)[] = [],
): Promise<readonly Row[]> {
  const connection = await createConnection({ host: '127.0.0.1', port, user: 'root', connectTimeout: 5000 });
  try {
    const [rows] = await connection.query(statement, [...values]);
    return Array.isArray(rows) ? (rows as Row[]) : [];
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}

/** A global status value, or null when the server does not know it (or cannot be reached). */
export async function globalStatus(port: number, name: string): Promise<string | null> {
  try {
    const rows = await adminQuery<{ value: string }>(
      port,
      'SELECT VARIABLE_VALUE AS value FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ?',
      [name],
    );
    return rows[0]?.value ?? null;
  } catch {
    return null;
  }
}
