/** Bytes of a group of 0..9 decimal digits in MySQL's binary DECIMAL format. */
const DIGIT_BYTES = [0, 1, 1, 2, 2, 3, 3, 4, 4, 4] as const;

/** Size in bytes of a binary DECIMAL(precision, scale). */
export function binaryDecimalSize(precision: number, scale: number): number {
  const integer = precision - scale;
  return (
    Math.floor(integer / 9) * 4 +
    DIGIT_BYTES[integer % 9]! +
    Math.floor(scale / 9) * 4 +
    DIGIT_BYTES[scale % 9]!
  );
}

/**
 * Decodes MySQL's binary DECIMAL (base 10^9 groups, big-endian, sign in the top bit with negative
 * values stored inverted) to its exact decimal text, e.g. `-12.50`. Never through a float.
 */
export function decodeBinaryDecimal(source: Buffer, precision: number, scale: number): string {
  const size = binaryDecimalSize(precision, scale);
  const bytes = Buffer.from(source.subarray(0, size));
  const negative = (bytes[0]! & 0x80) === 0;
  bytes[0]! ^= 0x80;
  if (negative) for (let i = 0; i < size; i++) bytes[i] = ~bytes[i]! & 0xff;
  const integer = precision - scale;
  let at = 0;
  const group = (digits: number): string => {
    const length = DIGIT_BYTES[digits]!;
    const value = length === 0 ? 0 : bytes.readUIntBE(at, length);
    at += length;
    return String(value).padStart(digits, '0');
  };
  let whole = group(integer % 9);
  for (let i = 0; i < Math.floor(integer / 9); i++) whole += group(9);
  let fraction = '';
  for (let i = 0; i < Math.floor(scale / 9); i++) fraction += group(9);
  fraction += group(scale % 9);
  whole = whole.replace(/^0+(?=\d)/, '') || '0';
  return `${negative ? '-' : ''}${whole}${scale > 0 ? `.${fraction}` : ''}`;
}
