/**
 * Stand-ins for collations a workspace server does not have, best first. Each keeps equality at least
 * as fine as the original (a NO PAD collation maps to a NO PAD one), so rows that were unique in the
 * backup stay unique in the workspace; sort order may differ, which a restore does not depend on.
 * A collation with no entry here and not on the server is refused.
 */
const STAND_INS: Readonly<Record<string, readonly string[]>> = {
  // MySQL 8 (UCA 9.0.0, NO PAD) on MariaDB: UCA 14.0 where MariaDB has it (11.4+), else UCA 5.2.
  utf8mb4_0900_ai_ci: ['utf8mb4_uca1400_nopad_ai_ci', 'utf8mb4_unicode_520_nopad_ci'],
  utf8mb4_0900_as_ci: ['utf8mb4_uca1400_nopad_as_ci'],
  utf8mb4_0900_as_cs: ['utf8mb4_uca1400_nopad_as_cs', 'utf8mb4_nopad_bin'],
  utf8mb4_0900_bin: ['utf8mb4_nopad_bin'],
  // MariaDB 11.x defaults (UCA 14.0) on MySQL 8 or an older MariaDB.
  utf8mb4_uca1400_ai_ci: ['utf8mb4_0900_ai_ci', 'utf8mb4_unicode_520_ci'],
  utf8mb4_uca1400_nopad_ai_ci: ['utf8mb4_0900_ai_ci', 'utf8mb4_unicode_520_nopad_ci'],
  utf8mb4_uca1400_as_cs: ['utf8mb4_0900_as_cs', 'utf8mb4_bin'],
  utf8mb4_uca1400_nopad_as_cs: ['utf8mb4_0900_as_cs', 'utf8mb4_nopad_bin'],
  utf8mb4_unicode_520_nopad_ci: ['utf8mb4_0900_ai_ci'],
  utf8mb4_nopad_bin: ['utf8mb4_0900_bin'],
  utf8mb3_uca1400_ai_ci: ['utf8mb3_unicode_520_ci'],
};

/**
 * The collation to use on a server that knows `available` (lower-case names), or null when none is
 * safe. Returns the same name when the server has it.
 */
export function standInCollation(collation: string, available: ReadonlySet<string>): string | null {
  const name = collation.toLowerCase();
  if (available.has(name)) return name;
  const renamed = utf8Synonym(name);
  if (renamed !== null && available.has(renamed)) return renamed;
  for (const candidate of STAND_INS[name] ?? []) if (available.has(candidate)) return candidate;
  return null;
}

/**
 * `utf8_general_ci` and `utf8mb3_general_ci` are one collation under two names: MySQL 8.0.30+ and
 * MariaDB 10.6+ list only the `utf8mb3_` name, older servers (and their dumps) only the `utf8_` one.
 */
function utf8Synonym(name: string): string | null {
  if (name.startsWith('utf8_')) return `utf8mb3_${name.slice(5)}`;
  if (name.startsWith('utf8mb3_')) return `utf8_${name.slice(8)}`;
  return null;
}
