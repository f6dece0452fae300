/** A report value as text: strings as they are, NULL for null, anything else as JSON. */
export function plainValue(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
