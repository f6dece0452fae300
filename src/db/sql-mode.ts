/**
 * Modes that would stop rows from round-tripping byte-exactly: zero dates (`0000-00-00`, which
 * WordPress uses as a default) are refused under NO_ZERO_DATE / NO_ZERO_IN_DATE (and TRADITIONAL,
 * which implies both), and without NO_AUTO_VALUE_ON_ZERO an AUTO_INCREMENT value of 0 is replaced by
 * a new id.
 */
const DROPPED_MODES = new Set(['NO_ZERO_DATE', 'NO_ZERO_IN_DATE', 'TRADITIONAL']);
const ADDED_MODES = ['NO_AUTO_VALUE_ON_ZERO'];

/**
 * The session `sql_mode` rowback works under: the server's mode with zero dates allowed and
 * NO_AUTO_VALUE_ON_ZERO added; strict mode stays, so truncation still fails loudly. WordPress relaxes
 * its own sessions the same way, so its tables and rows only load under such a mode.
 *
 * @example restoreSqlMode('STRICT_TRANS_TABLES,NO_ZERO_DATE') // 'STRICT_TRANS_TABLES,NO_AUTO_VALUE_ON_ZERO'
 */
export function restoreSqlMode(current: string): string {
  const modes = current
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== '' && !DROPPED_MODES.has(m));
  for (const mode of ADDED_MODES) if (!modes.includes(mode)) modes.push(mode);
  return modes.join(',');
}
