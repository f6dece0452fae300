/**
 * MySQL/MariaDB temporal column values as the binlog stores them, decoded to the text the server
 * accepts back (`YYYY-MM-DD HH:MM:SS[.ffffff]`). TIMESTAMPs are logged as UTC epoch seconds: their text
 * is UTC, so the session that inserts them must run with `time_zone = '+00:00'`.
 */

const pad = (value: number, width = 2) => String(value).padStart(width, '0');

function fraction(microseconds: number, digits: number): string {
  return digits > 0 ? `.${pad(microseconds, 6).slice(0, digits)}` : '';
}

/** Bytes of the fractional part for `digits` fractional-second digits (0..6). */
export function fractionBytes(digits: number): number {
  return Math.ceil(digits / 2);
}

/** Microseconds from the big-endian fractional part of TIMESTAMP2/DATETIME2. */
function readFraction(bytes: Buffer, at: number, digits: number): number {
  const size = fractionBytes(digits);
  if (size === 0) return 0;
  const value = bytes.readUIntBE(at, size);
  return size === 1 ? value * 10_000 : size === 2 ? value * 100 : value;
}

export function decodeDate(value: number): string {
  return `${pad(value >> 9, 4)}-${pad((value >> 5) & 15)}-${pad(value & 31)}`;
}

export function decodeTimestamp(seconds: number, microseconds: number, digits: number): string {
  if (seconds === 0 && microseconds === 0) return `0000-00-00 00:00:00${fraction(0, digits)}`;
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${fraction(microseconds, digits)}`;
}

/** TIMESTAMP2: 4 bytes big-endian epoch seconds, then the fraction. */
export function decodeTimestamp2(bytes: Buffer, digits: number): string {
  return decodeTimestamp(bytes.readUInt32BE(0), readFraction(bytes, 4, digits), digits);
}

/** DATETIME2: 40 bits big-endian (sign, year*13+month, day, hour, minute, second), then the fraction. */
export function decodeDatetime2(bytes: Buffer, digits: number): string {
  const packed = bytes.readUIntBE(0, 5) - 0x8000000000;
  const ymd = Math.floor(packed / 2 ** 17);
  const hms = packed % 2 ** 17;
  const ym = ymd >> 5;
  const date = `${pad(Math.floor(ym / 13), 4)}-${pad(ym % 13)}-${pad(ymd & 31)}`;
  const time = `${pad(hms >> 12)}:${pad((hms >> 6) & 63)}:${pad(hms & 63)}`;
  return `${date} ${time}${fraction(readFraction(bytes, 5, digits), digits)}`;
}

/** TIME2: 24 bits big-endian offset by 0x800000 (hours, minutes, seconds), then a signed fraction. */
export function decodeTime2(bytes: Buffer, digits: number): string {
  const size = fractionBytes(digits);
  let whole = bytes.readUIntBE(0, 3) - 0x800000;
  let micro = 0;
  if (size === 3) {
    // The six bytes are one packed value: whole seconds in the high 24 bits, microseconds below.
    const packed = bytes.readUIntBE(0, 6) - 0x800000000000;
    whole = Math.floor(packed / 2 ** 24);
    micro = packed - whole * 2 ** 24;
  } else if (size > 0) {
    const scale = size === 1 ? 10_000 : 100;
    let part = size === 1 ? bytes.readUInt8(3) : bytes.readUInt16BE(3);
    // A negative time stores its whole part floored and the fraction's complement: take the second back.
    if (whole < 0 && part !== 0) {
      whole += 1;
      part -= size === 1 ? 0x100 : 0x10000;
    }
    micro = part * scale;
  }
  const negative = whole < 0 || micro < 0;
  const total = Math.abs(whole * 2 ** 24 + micro);
  const hms = Math.floor(total / 2 ** 24);
  const us = total % 2 ** 24;
  const text = `${pad((hms >> 12) & 1023)}:${pad((hms >> 6) & 63)}:${pad(hms & 63)}`;
  return `${negative ? '-' : ''}${text}${fraction(us, digits)}`;
}

/** The old TIME: a signed 24-bit HHMMSS as a decimal number. */
export function decodeOldTime(value: number): string {
  const abs = Math.abs(value);
  const text = `${pad(Math.floor(abs / 10000))}:${pad(Math.floor(abs / 100) % 100)}:${pad(abs % 100)}`;
  return value < 0 ? `-${text}` : text;
}

/** The old DATETIME: YYYYMMDDHHMMSS as a decimal number. */
export function decodeOldDatetime(value: bigint): string {
  const text = String(value).padStart(14, '0');
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)} ${text.slice(8, 10)}:${text.slice(10, 12)}:${text.slice(12, 14)}`;
}

/** The packed 64-bit temporal of MySQL's JSON opaque DATE/DATETIME/TIMESTAMP/TIME values. */
export function decodePackedTemporal(packed: bigint, kind: 'date' | 'datetime' | 'time'): string {
  const negative = packed < 0n;
  const abs = negative ? -packed : packed;
  const micro = Number(abs % (1n << 24n));
  const whole = Number(abs >> 24n);
  const frac = micro ? `.${pad(micro, 6)}` : '';
  if (kind === 'time') {
    const text = `${pad((whole >> 12) % (1 << 10))}:${pad((whole >> 6) % 64)}:${pad(whole % 64)}`;
    return `${negative ? '-' : ''}${text}${frac}`;
  }
  const ymd = Math.floor(whole / 2 ** 17);
  const hms = whole % 2 ** 17;
  const ym = ymd >> 5;
  const date = `${pad(Math.floor(ym / 13), 4)}-${pad(ym % 13)}-${pad(ymd & 31)}`;
  if (kind === 'date') return date;
  return `${date} ${pad(hms >> 12)}:${pad((hms >> 6) & 63)}:${pad(hms & 63)}${frac}`;
}
