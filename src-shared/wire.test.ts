import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64, decode, encode, MAX_DEPTH, swapBytes, WireError } from './wire';

const rt = <T>(v: T): T => decode<T>(encode(v));

/** Same value, same type, same bits (Object.is distinguishes -0 and NaN). */
function bitsOf(a: ArrayBufferView): number[] {
  return Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

describe('wire: numbers', () => {
  it('round-trips NaN, ±Infinity, -0 and the extremes of float64, bit for bit', () => {
    const xs = [NaN, Infinity, -Infinity, -0, 0, 1, -1, 0.1, 1 / 3, Number.MAX_VALUE, -Number.MAX_VALUE,
      Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308, Number.MAX_SAFE_INTEGER, Number.EPSILON];
    for (const x of xs) expect(Object.is(rt(x), x)).toBe(true);
    const back = rt(xs);
    xs.forEach((x, i) => expect(Object.is(back[i], x)).toBe(true));
    // shortest round-trip decimal: every double parses back to itself
    const f = new Float64Array(1);
    const u = new Uint32Array(f.buffer);
    let seed = 12345;
    for (let k = 0; k < 2000; k++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; u[0] = seed;
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; u[1] = seed;
      const x = f[0]!;
      expect(Object.is(rt(x), x)).toBe(true);
    }
  });

  it('keeps non-finite numbers inside objects (plain JSON would turn them into null)', () => {
    const v = { tau: Infinity, fit: { slope: NaN, intercept: -0 }, list: [NaN, -Infinity] };
    expect(JSON.parse(JSON.stringify(v)).tau).toBeNull();
    const back = rt(v);
    expect(back.tau).toBe(Infinity);
    expect(back.fit.slope).toBeNaN();
    expect(Object.is(back.fit.intercept, -0)).toBe(true);
    expect(back.list[0]).toBeNaN();
    expect(back.list[1]).toBe(-Infinity);
  });
});

describe('wire: undefined and null', () => {
  it('keeps undefined distinct from null, at top level, in objects and in arrays', () => {
    expect(rt(undefined)).toBeUndefined();
    expect(rt(null)).toBeNull();
    const back = rt({ a: undefined, b: null, c: [undefined, null, 1] });
    expect(Object.keys(back)).toEqual(['a', 'b', 'c']);
    expect(back.a).toBeUndefined();
    expect(back.b).toBeNull();
    expect(back.c).toHaveLength(3);
    expect(back.c[0]).toBeUndefined();
    expect(back.c[1]).toBeNull();
  });

  it('turns array holes into undefined elements', () => {
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    const back = rt(sparse);
    expect(back).toHaveLength(3);
    expect(back[1]).toBeUndefined();
    expect(back[2]).toBe(3);
  });
});

describe('wire: binary', () => {
  it('round-trips every typed array kind with its type, length and bytes', () => {
    const cases: ArrayBufferView[] = [
      new Uint8Array([0, 1, 254, 255]),
      new Int8Array([-128, 0, 127]),
      new Uint8ClampedArray([0, 128, 255]),
      new Int16Array([-32768, 1, 32767]),
      new Uint16Array([0, 65535]),
      new Int32Array([-(2 ** 31), 2 ** 31 - 1]),
      new Uint32Array([0, 2 ** 32 - 1]),
      new Float32Array([NaN, Infinity, -Infinity, -0, 1e-45, 3.4028234663852886e38]),
      new Float64Array([NaN, Infinity, -Infinity, -0, 5e-324, Math.PI]),
      new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]),
      new BigUint64Array([0n, 2n ** 64n - 1n]),
    ];
    for (const a of cases) {
      const back = rt(a);
      expect(back.constructor).toBe(a.constructor);
      expect(bitsOf(back)).toEqual(bitsOf(a));
    }
    expect(rt(new Float64Array(0))).toEqual(new Float64Array(0));
  });

  it('keeps a NaN payload bit for bit and encodes only the view of a larger buffer', () => {
    const buf = new ArrayBuffer(32);
    const dv = new DataView(buf);
    dv.setUint32(8, 0x00000001, true); dv.setUint32(12, 0x7ff80000 | 0x1234, true); // a quiet NaN with payload bits
    const view = new Float64Array(buf, 8, 2);
    view[1] = -2.5;
    const back = rt(view);
    expect(back.length).toBe(2);
    expect(bitsOf(back)).toEqual(bitsOf(view));
    expect(back[1]).toBe(-2.5);
  });

  it('stores bytes little-endian: the base64 of Float64Array [1] is the IEEE pattern 3FF0… reversed', () => {
    // 1.0 = 0x3FF0000000000000 → little-endian bytes 00 00 00 00 00 00 F0 3F
    expect(JSON.parse(encode(new Float64Array([1])))).toEqual({ $: 'Float64Array', b64: bytesToBase64(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf0, 0x3f])) });
    expect(bytesToBase64(new Uint8Array([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]))).toBe('AAAAAAAA8D8=');
  });

  it('round-trips ArrayBuffer, Date and BigInt', () => {
    const ab = new Uint8Array([9, 8, 7]).buffer;
    const back = rt({ ab, d: new Date(1_700_000_000_123), bad: new Date(NaN), n: -(10n ** 30n) });
    expect(Array.from(new Uint8Array(back.ab))).toEqual([9, 8, 7]);
    expect(back.d).toBeInstanceOf(Date);
    expect(back.d.getTime()).toBe(1_700_000_000_123);
    expect(back.bad.getTime()).toBeNaN();
    expect(back.n).toBe(-(10n ** 30n));
  });
});

describe('wire: base64 and byte order helpers', () => {
  it('matches RFC 4648 test vectors', () => {
    const enc = (s: string) => bytesToBase64(new TextEncoder().encode(s));
    const vectors: [string, string][] = [['', ''], ['f', 'Zg=='], ['fo', 'Zm8='], ['foo', 'Zm9v'], ['foob', 'Zm9vYg=='], ['fooba', 'Zm9vYmE='], ['foobar', 'Zm9vYmFy']];
    for (const [plain, b64] of vectors) {
      expect(enc(plain)).toBe(b64);
      expect(new TextDecoder().decode(base64ToBytes(b64))).toBe(plain);
    }
  });

  it('round-trips every byte value across chunk boundaries', () => {
    const bytes = new Uint8Array(3 * 4096 + 7);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) & 255;
    expect(Array.from(base64ToBytes(bytesToBase64(bytes)))).toEqual(Array.from(bytes));
  });

  it('rejects malformed base64', () => {
    for (const bad of ['abc', 'ab!d', 'a===', '=AAA', 'AA=A', 'é000']) expect(() => base64ToBytes(bad)).toThrow(WireError);
  });

  it('swapBytes reverses each element (big-endian hosts use it both ways)', () => {
    expect(Array.from(swapBytes(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), 4))).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    expect(Array.from(swapBytes(new Uint8Array([1, 2, 3, 4]), 2))).toEqual([2, 1, 4, 3]);
    // a big-endian float64 1.0 swapped is the little-endian pattern
    expect(Array.from(swapBytes(new Uint8Array([0x3f, 0xf0, 0, 0, 0, 0, 0, 0]), 8))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });
});

describe('wire: objects', () => {
  it('round-trips an API payload (a run result with μ per unit)', () => {
    const result = {
      curve: [{ epoch: 0, train_loss: 0.5, train_acc: -Infinity, val_loss: NaN, val_acc: 0.25 }],
      diverged: false, divergedEpoch: null, cancelled: false, kernelsName: 'wasm-simd-f32', wallMs: 12,
      diagnosticsStatus: 'done', trainMs: undefined,
      diagnostics: {
        lags: [1, 2], muUnits: [new Float64Array([0.5, NaN]), new Float64Array([Infinity, -0])],
        master: { skipped: 'too few points' }, constTau: null,
        tau: [{ unit_id: 0, tau: Infinity, C: NaN, a: 0, b: 0.1, r2: NaN, num_points: 0 }],
      },
    };
    const back = rt(result);
    expect(back.curve[0]!.val_loss).toBeNaN();
    expect(back.curve[0]!.train_acc).toBe(-Infinity);
    expect('trainMs' in back).toBe(true);
    expect(back.trainMs).toBeUndefined();
    expect(back.divergedEpoch).toBeNull();
    expect(back.diagnostics.muUnits[0]).toBeInstanceOf(Float64Array);
    expect(bitsOf(back.diagnostics.muUnits[1]!)).toEqual(bitsOf(result.diagnostics.muUnits[1]!));
    expect(back.diagnostics.tau[0]!.tau).toBe(Infinity);
    expect(back.diagnostics.master).toEqual({ skipped: 'too few points' });
  });

  it('escapes objects that have their own "$" key', () => {
    const v = { $: 'NaN', nested: { $: 'Float64Array', b64: 'AAAAAAAA8D8=' }, arr: [{ $: 'undefined' }] };
    expect(rt(v)).toEqual(v);
    expect(rt({ $: undefined })).toEqual({ $: undefined });
  });

  it('keeps a "__proto__" key as an own property and never touches prototypes', () => {
    const evil = '{"__proto__":{"polluted":1},"a":{"$":"object","v":{"__proto__":{"polluted":2}}}}';
    const back = decode<Record<string, unknown>>(evil);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(back, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((back as { polluted?: number }).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(back.a)).toBe(Object.prototype);
    // and encodes it back as a key
    expect(encode(back)).toBe(evil.replace('"a":{"$":"object","v":{"__proto__":{"polluted":2}}}', '"a":{"__proto__":{"polluted":2}}'));
  });

  it('sends class instances as their own enumerable properties, like JSON', () => {
    class P { x = 1; y = NaN; }
    expect(rt(new P())).toEqual({ x: 1, y: NaN });
  });

  it('refuses what it cannot carry faithfully', () => {
    const cyc: Record<string, unknown> = {};
    cyc.self = cyc;
    for (const bad of [new Map(), new Set([1]), () => 1, Symbol('s'), cyc, new DataView(new ArrayBuffer(1))]) {
      expect(() => encode({ bad })).toThrow(WireError);
    }
    const shared = { a: 1 };
    expect(rt([shared, shared])).toEqual([{ a: 1 }, { a: 1 }]); // repeated (acyclic) references are fine
  });
});

describe('wire: untrusted input', () => {
  it('rejects malformed text and tags with WireError', () => {
    const bad = ['', '{', 'NaN', '{"$":"Nope"}', '{"$":5}', '{"$":"NaN","x":1}', '{"$":"Float64Array"}',
      '{"$":"Float64Array","b64":"AAAA"}', '{"$":"Float64Array","b64":7}', '{"$":"BigInt","v":"1e3"}',
      '{"$":"object","v":[1]}', '{"$":"Date","ms":"x"}', '{"$":"toString","b64":""}', '{"$":"constructor"}'];
    for (const text of bad) expect(() => decode(text), text).toThrow(WireError);
  });

  it('bounds the nesting depth', () => {
    const deep = '['.repeat(MAX_DEPTH + 5) + ']'.repeat(MAX_DEPTH + 5);
    expect(() => decode(deep)).toThrow(WireError);
    const ok = '['.repeat(MAX_DEPTH - 1) + ']'.repeat(MAX_DEPTH - 1);
    expect(() => decode(ok)).not.toThrow();
    let v: unknown = 0;
    for (let i = 0; i < MAX_DEPTH + 1; i++) v = [v];
    expect(() => encode(v)).toThrow(WireError);
  });

  it('plain JSON without tags decodes as itself', () => {
    const v = { a: [1, 'x', true, null, { b: -2.5e-7 }] };
    expect(decode(JSON.stringify(v))).toEqual(v);
    expect(encode(v)).toBe(JSON.stringify(v));
  });
});
