/**
 * The small readers under the importer: the reference's number spellings,
 * Python's JSON (NaN, Infinity), and the ZIP reader (entries back byte for
 * byte; sizes, CRC, encryption and methods checked).
 */
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { FileProblem } from '../errors';
import { parseLenientJson } from '../json';
import { CellError, parseRefBool, parseRefInt, parseRefNumber } from '../numbers';
import { bytesAccess, readZipDirectory, readZipEntry, unsafeEntryName, ZipFormatError } from '../zip';

describe('numbers as the reference writes them', () => {
  it('decimals, nan / empty, inf / -inf, Infinity; the same double as the decimal text', () => {
    const cases: [string, number][] = [
      ['0.1', 0.1], ['1e-05', 1e-5], ['-2.5E+3', -2500], ['.5', 0.5], ['7.', 7], ['+3', 3], ['5e-324', 5e-324], ['1.7976931348623157e308', Number.MAX_VALUE],
      ['nan', NaN], ['NaN', NaN], ['', NaN], [' ', NaN], ['inf', Infinity], ['Infinity', Infinity], ['+inf', Infinity], ['-inf', -Infinity], ['-Infinity', -Infinity],
      ['0.30000000000000004', 0.1 + 0.2], [' 42 ', 42],
    ];
    for (const [text, x] of cases) expect(Object.is(parseRefNumber(text), x), text).toBe(true);
    for (const bad of ['abc', '1,5', '0x10', '1e', 'True', '--1', '1 2', 'nanx']) expect(() => parseRefNumber(bad), bad).toThrow(CellError);
  });
  it('integers: "25.0" is 25; NaN only where allowed; fractions and floors refused', () => {
    expect(parseRefInt('25.0', false)).toBe(25);
    expect(parseRefInt('-1', true)).toBe(-1);
    expect(Object.is(parseRefInt('-0', false), 0)).toBe(true);
    expect(parseRefInt('', true)).toBeNaN();
    expect(() => parseRefInt('', false)).toThrow('the cell is empty (an integer is needed)');
    expect(() => parseRefInt('2.5', true)).toThrow('"2.5" is not an integer');
    expect(() => parseRefInt('inf', true)).toThrow('"inf" is not an integer');
    expect(() => parseRefInt('1e300', true)).toThrow('is not an integer');
    expect(() => parseRefInt('0', false, 1)).toThrow('"0" must be >= 1');
  });
  it('booleans: True / False in any case, 1 / 0', () => {
    expect(['True', 'true', 'TRUE', '1', '1.0'].map(parseRefBool)).toEqual([true, true, true, true, true]);
    expect(['False', 'false', '0', '0.0'].map(parseRefBool)).toEqual([false, false, false, false]);
    expect(() => parseRefBool('yes')).toThrow('"yes" is not True or False');
  });
});

describe('JSON as Python writes it', () => {
  it('NaN, Infinity, -Infinity tokens; null stays null; nesting, escapes', () => {
    const v = parseLenientJson('{"a": NaN, "b": [Infinity, -Infinity, null, -0.5e-3, true], "c": {"d": "x\\n\\u00e9\\"", "e": false}}', 'f.json') as Record<string, unknown>;
    expect(v.a).toBeNaN();
    expect(v.b).toEqual([Infinity, -Infinity, null, -0.0005, true]);
    expect(v.c).toEqual({ d: 'x\né"', e: false });
  });
  it('errors name the line and column', () => {
    const at = (text: string) => {
      try {
        parseLenientJson(text, 'f.json');
      } catch (e) {
        expect(e).toBeInstanceOf(FileProblem);
        const p = (e as FileProblem).problem;
        return `${p.line}:${p.column} ${p.message}`;
      }
      return 'parsed';
    };
    expect(at('{\n  "a": 1,\n  "b": nan\n}')).toBe('3:8 not valid JSON (unexpected "n")');
    expect(at('{"a": 1 "b": 2}')).toBe('1:9 not valid JSON (expected "," or "}")');
    expect(at('{"a": 1, "a": 2}')).toBe('1:10 not valid JSON (key "a" appears twice)');
    expect(at('[1, 2')).toBe('1:6 not valid JSON (expected "," or "]")');
    expect(at('{"a":')).toBe('1:6 not valid JSON (unexpected end of the file)');
    expect(at('{"a": 1} x')).toBe('1:10 not valid JSON (unexpected text after the value)');
    expect(at('"abc')).toBe('1:1 not valid JSON (a text is not closed)');
    expect(at('['.repeat(40) + ']'.repeat(40))).toMatch(/nested deeper than 32 levels/);
  });
  it('a key named __proto__ is a plain key', () => {
    const v = parseLenientJson('{"__proto__": {"x": 1}}', 'f.json') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__']);
  });
});

describe('ZIP reader', () => {
  const enc = new TextEncoder();
  const big = enc.encode('epoch,value\n' + Array.from({ length: 5000 }, (_, i) => `${i},${i * 0.5}`).join('\n'));

  it('stored and deflated entries come back byte for byte; folders are listed as such', async () => {
    const zip = zipSync({ 'a/b.csv': [big, { level: 0 }], 'a/c.csv': [big, { level: 9 }], 'a/empty/': new Uint8Array(0) });
    const ra = bytesAccess(zip);
    const dir = await readZipDirectory(ra, 10);
    expect(dir.map((e) => [e.name, e.directory, e.size])).toEqual([['a/b.csv', false, big.length], ['a/c.csv', false, big.length], ['a/empty/', true, 0]]);
    expect(dir.slice(0, 2).map((e) => e.method)).toEqual([0, 8]);
    expect(dir[1]!.compressedSize).toBeLessThan(big.length / 2);
    for (const e of dir.slice(0, 2)) expect(Buffer.from(await readZipEntry(ra, e)).equals(Buffer.from(big))).toBe(true);
  });

  it('a declared size smaller than the data: inflated into that size only, then refused by the CRC', async () => {
    const zip = zipSync({ 'x.csv': [big, { level: 9 }] });
    const ra = bytesAccess(zip);
    const [e] = await readZipDirectory(ra, 10);
    await expect(readZipEntry(ra, { ...e!, size: 100 })).rejects.toThrow(/CRC-32 mismatch/);
    await expect(readZipEntry(ra, { ...e!, size: e!.size + 10 })).rejects.toThrow(/inflated to \d+ bytes, the directory says/);
  });

  it('refuses encrypted entries, unknown methods, too many entries, unsafe names', async () => {
    const zip = zipSync({ 'x.csv': [enc.encode('a,b\n'), { level: 0 }], 'y.csv': enc.encode('c\n') });
    await expect(readZipDirectory(bytesAccess(zip), 1)).rejects.toThrow('2 entries, more than the import limit of 1');
    const cd = Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const enc1 = zip.slice();
    enc1[cd + 8] = enc1[cd + 8]! | 1; // general purpose flag bit 0: encrypted
    await expect(readZipDirectory(bytesAccess(enc1), 10)).rejects.toThrow(new ZipFormatError('refused: the entry is encrypted', 'x.csv'));
    const m = zip.slice();
    m[cd + 10] = 12; // bzip2
    await expect(readZipDirectory(bytesAccess(m), 10)).rejects.toThrow('refused: compression method 12 (only stored and deflate are read)');
    expect(['a/b', 'seed_1/x.csv', 'a..b/c', '.../x'].map(unsafeEntryName)).toEqual([null, null, null, null]);
    expect(['../x', 'a/../../x', '/x', 'C:/x', 'a\\b', 'a\0b', ''].map((n) => unsafeEntryName(n) !== null)).toEqual([true, true, true, true, true, true, true]);
    await expect(readZipDirectory(bytesAccess(new Uint8Array(10)), 10)).rejects.toThrow('not a ZIP archive (too short)');
  });
});
