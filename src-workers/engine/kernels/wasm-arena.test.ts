/**
 * The WASM kernels' bump allocator: zeroed, 16-byte aligned, disjoint views
 * of one fixed memory; a clear 'arena exhausted' error; instances independent.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels } from './wasm/wasm-kernels';

describe('wasm kernels arena', () => {
  it('alloc returns zeroed, 16-byte aligned, disjoint views of one buffer', () => {
    const k = createWasmKernels({ capacityFloats: 1000 });
    const sizes = [1, 3, 4, 5, 17, 0, 33, 64];
    const views = sizes.map((n) => k.alloc(n));
    const buffer = views[0]!.buffer;
    let end = -1;
    views.forEach((v, i) => {
      expect(v.length).toBe(sizes[i]);
      expect(v.buffer).toBe(buffer);
      expect(v.byteOffset % 16).toBe(0);
      expect(v.every((x) => x === 0)).toBe(true);
      expect(v.byteOffset).toBeGreaterThanOrEqual(end); // in order, no overlap
      end = v.byteOffset + v.byteLength;
      v.fill(i + 1);
    });
    // writing each view left the others intact
    views.forEach((v, i) => expect(v.every((x) => x === i + 1)).toBe(true));
    // padding: each size rounded up to a multiple of 4 floats
    const padded = sizes.reduce((s, n) => s + Math.ceil(n / 4) * 4, 0);
    expect(k.usedFloats()).toBe(padded);
    expect(k.capacityFloats).toBe(1000);
  });

  it('the whole capacity can be handed out, then alloc throws "arena exhausted" with the sizes', () => {
    const k = createWasmKernels({ capacityFloats: 102 });
    const a = k.alloc(100);
    expect(a.length).toBe(100);
    expect(k.alloc(2).length).toBe(2); // the last 2 floats (100 is a multiple of 4)
    expect(() => k.alloc(1)).toThrow(/arena exhausted: alloc\(1\) needs 1 floats but only 0 of capacityFloats 102 are free/);

    const k2 = createWasmKernels({ capacityFloats: 50 });
    k2.alloc(10); // uses 12 with padding
    let message = '';
    try { k2.alloc(39); } catch (e) { message = (e as Error).message; }
    expect(message).toContain('arena exhausted');
    expect(message).toContain('alloc(39)');
    expect(message).toContain('only 38 of capacityFloats 50 are free (12 used)');
    expect(k2.alloc(38).length).toBe(38); // a failed alloc consumed nothing
  });

  it('rejects a bad capacity or a bad alloc size', () => {
    expect(() => createWasmKernels({ capacityFloats: -1 })).toThrow(/capacityFloats must be a non-negative integer/);
    expect(() => createWasmKernels({ capacityFloats: 1.5 })).toThrow(/capacityFloats must be a non-negative integer/);
    expect(() => createWasmKernels({ capacityFloats: 2 ** 31 })).toThrow(/more than the 65536 \(4 GiB\)/);
    const k = createWasmKernels({ capacityFloats: 8 });
    expect(() => k.alloc(-1)).toThrow(/non-negative integer/);
    expect(() => k.alloc(2.5)).toThrow(/non-negative integer/);
  });

  it('a large capacity is cheap (untouched pages) and views stay valid across instances', () => {
    const big = createWasmKernels({ capacityFloats: 256 << 20 }); // 1 GiB of address space
    const v = big.alloc(16);
    const other = createWasmKernels({ capacityFloats: 1024 });
    const w = other.alloc(16);
    v.fill(3);
    w.fill(5);
    big.tanh(v, 0, v, 0, 16);
    other.sigmoid(w, 0, w, 0, 16);
    expect(v[0]).toBeCloseTo(Math.tanh(3), 6);
    expect(w[0]).toBeCloseTo(1 / (1 + Math.exp(-5)), 6);
    expect(v.buffer).not.toBe(w.buffer);
    expect(v.byteLength).toBe(64); // never detached
  });

  it('kernel metadata', () => {
    const k = createWasmKernels({ capacityFloats: 4 });
    expect(k.precision).toBe('f32');
    expect(k.name).toBe('wasm-simd-f32');
  });
});
