/**
 * MySQL Shell's file-name encoding of schema and table names (`hexencode()` in mysql-shell
 * `modules/util/common/dump/utils.cc`): every ASCII byte except `-.0-9A-Z_a-z~` becomes `%XX`
 * (uppercase hex); UTF-8 bytes ≥ 0x80 stay as they are.
 *
 * @example encodeBasename('foo`bar(') === 'foo%60bar%28'
 */
export function encodeBasename(name: string): string {
  let out = '';
  for (const ch of name) {
    const code = ch.codePointAt(0)!;
    if (code >= 0x80 || /[-.0-9A-Z_a-z~]/.test(ch)) out += ch;
    else out += `%${code.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
