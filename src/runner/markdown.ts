/** Escapes a value for a Markdown table cell. */
export function cell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const head = `| ${headers.join(' | ')} |`;
  const rule = `| ${headers.map(() => '---').join(' | ')} |`;
  return [head, rule, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

/** A value shown in a diff sample: long values shortened, binary as hex. */
export function shown(value: unknown, max = 80): string {
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
