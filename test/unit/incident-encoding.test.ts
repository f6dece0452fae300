import { describe, expect, it } from 'vitest';
import { encodeBasename, parseTsvField, tsvField } from '../../src/demo/index.ts';
import { phpSerialize } from '../../src/demo/php-serialize.ts';
import { Prng } from '../../src/demo/prng.ts';

describe('phpSerialize', () => {
  it('writes what PHP serialize() writes, with UTF-8 byte lengths', () => {
    expect(phpSerialize({ subscriber: true })).toBe('a:1:{s:10:"subscriber";b:1;}');
    expect(phpSerialize(['a', 2, null])).toBe('a:3:{i:0;s:1:"a";i:1;i:2;i:2;N;}');
    expect(phpSerialize('Zo\u00eb \u{1F3C3}')).toBe('s:9:"Zo\u00eb \u{1F3C3}";');
    expect(phpSerialize({ '7': 'x', y: false })).toBe('a:2:{i:7;s:1:"x";s:1:"y";b:0;}');
  });
});

describe('MySQL Shell TSV fields', () => {
  it('escapes the bytes MySQL Shell escapes, and parses back', () => {
    expect(tsvField(null)).toBe('\\N');
    expect(tsvField('\\N')).toBe('\\\\N');
    expect(tsvField('a\tb\nc\rd\0e\bf\x1ag\\h')).toBe('a\\tb\\nc\\rd\\0e\\bf\\Zg\\\\h');
    expect(tsvField(12)).toBe('12');
    expect(tsvField(Buffer.from([0xff, 0x00]))).toBe('/wA=');
    for (const value of ['', 'NULL', '\\N', 'O\'Brien "x"', 'tab\there\nnew', '🏃‍♀️ 東京', 'C:\\Users\\x']) {
      expect(parseTsvField(tsvField(value))).toBe(value);
    }
    expect(parseTsvField('\\N')).toBeNull();
  });

  it('encodes file basenames like hexencode()', () => {
    expect(encodeBasename('wp_users')).toBe('wp_users');
    expect(encodeBasename('foo`bar(')).toBe('foo%60bar%28');
    expect(encodeBasename('new\nline')).toBe('new%0Aline');
    expect(encodeBasename('\'"')).toBe('%27%22');
    expect(encodeBasename('a@b c%')).toBe('a%40b%20c%25');
    expect(encodeBasename('café-1.x~')).toBe('café-1.x~');
  });
});

describe('Prng', () => {
  it('is reproducible per (seed, labels) and independent across labels', () => {
    const draw = (p: Prng) => Array.from({ length: 5 }, () => p.uint32());
    expect(draw(Prng.for(1, 'user', 3))).toEqual(draw(Prng.for(1, 'user', 3)));
    expect(draw(Prng.for(1, 'user', 3))).not.toEqual(draw(Prng.for(1, 'user', 4)));
    // Pinned values: a change of the generator would silently change every fixture.
    expect(draw(Prng.for(20261120, 'plan'))).toEqual([
      1497905329, 2661320568, 2362326077, 377203732, 2051124540,
    ]);
  });
});
