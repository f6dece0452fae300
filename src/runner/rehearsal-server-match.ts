import { sql } from 'kysely';
import { readClusterTopology, type Target } from '../db/index.ts';

/** One setting in which the rehearsal server differs (or differed, until mimicked) from the target. */
export interface ServerDifference {
  readonly setting: string;
  readonly target: string;
  readonly rehearsal: string;
  /** Set on the rehearsal server to the target's value (a throwaway server only). */
  readonly mimicked: boolean;
}

/** Global settings compared; the dynamic ones are set to the target's values on a throwaway server. */
const SETTINGS = ['sql_mode', 'character_set_server', 'collation_server', 'lower_case_table_names'] as const;
const DYNAMIC: ReadonlySet<string> = new Set(['sql_mode', 'character_set_server', 'collation_server']);

/** Global variables by name; SHOW works on MySQL 8 (no information_schema.GLOBAL_VARIABLES) and MariaDB. */
async function globals(target: Target, names: readonly string[]): Promise<Map<string, string>> {
  const result = await sql<{ Variable_name: string; Value: string }>`
    SHOW GLOBAL VARIABLES WHERE Variable_name IN (${sql.join([...names])})`.execute(target.db);
  return new Map(result.rows.map((r) => [r.Variable_name.toLowerCase(), String(r.Value)]));
}

/**
 * How the rehearsal server differs from the target: flavour and major version (which it cannot
 * change), and the global settings above. With `mimic`, the dynamic settings are set to the target's
 * (`SET GLOBAL`; new sessions see them), and a difference that remains is one it could not mimic.
 */
export async function matchServer(
  live: Target,
  rehearsal: Target,
  mimic: boolean,
): Promise<readonly ServerDifference[]> {
  const differences: ServerDifference[] = [];
  const major = (t: Target) => `${t.server.flavour} ${t.server.version.split('.').slice(0, 2).join('.')}`;
  if (major(live) !== major(rehearsal)) {
    differences.push({
      setting: 'version',
      target: `${live.server.flavour} ${live.server.version}`,
      rehearsal: `${rehearsal.server.flavour} ${rehearsal.server.version}`,
      mimicked: false,
    });
  }
  const wanted = await globals(live, SETTINGS);
  const had = await globals(rehearsal, SETTINGS);
  for (const name of SETTINGS) {
    const value = wanted.get(name);
    const current = had.get(name);
    if (value === undefined || current === undefined || normalised(name, value) === normalised(name, current))
      continue;
    let mimicked = false;
    if (mimic && DYNAMIC.has(name)) {
      mimicked = await sql
        .raw(`SET GLOBAL ${name} = ${quoteValue(value)}`)
        .execute(rehearsal.db)
        .then(() => true)
        .catch(() => false);
    }
    differences.push(Object.freeze({ setting: name, target: value, rehearsal: current, mimicked }));
  }
  return Object.freeze(differences);
}

/** sql_mode lists compare as sets: MySQL and MariaDB print the same modes in different orders. */
function normalised(name: string, value: string): string {
  if (name !== 'sql_mode') return value.toLowerCase();
  return value
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean)
    .sort()
    .join(',');
}

/** Values are names and mode lists (letters, digits, `_`, `,`): anything else is refused as a literal. */
function quoteValue(value: string): string {
  if (!/^[A-Za-z0-9_,]*$/.test(value))
    throw new Error(`unexpected server setting value ${JSON.stringify(value)}`);
  return `'${value}'`;
}

/** A limit on one transaction's size on the target's cluster, from its variables. */
export interface TransactionLimit {
  readonly variable: string;
  readonly unit: 'bytes' | 'rows';
  readonly value: number;
}

/**
 * The target's transaction limits from its cluster topology: Group Replication's size limit, Galera's
 * write-set size and rows (0 or none: no limit).
 */
export async function readTransactionLimits(live: Target): Promise<readonly TransactionLimit[]> {
  const topology = await readClusterTopology(live.db, live.server.flavour);
  const limits: TransactionLimit[] = [];
  const add = (variable: string, unit: TransactionLimit['unit'], value: number | null | undefined) => {
    if (value && value > 0) limits.push(Object.freeze({ variable, unit, value }));
  };
  add('group_replication_transaction_size_limit', 'bytes', topology.groupReplication?.transactionSizeLimit);
  add('wsrep_max_ws_size', 'bytes', topology.galera?.maxWsBytes);
  add('wsrep_max_ws_rows', 'rows', topology.galera?.maxWsRows);
  return Object.freeze(limits);
}
