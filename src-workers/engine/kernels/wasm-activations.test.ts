/**
 * The WASM f32x4 sigmoid and tanh against float64 Math on the same float32
 * inputs: relative error ≤ 1e-6 over a dense grid of [−30, 30] and a
 * logarithmic grid down to subnormals, absolute error ≤ 1e-7 for tanh near 0,
 * exact saturation for large |x| and no NaN/Inf for any finite input.
 */
import { describe, expect, it } from 'vitest';
import { createWasmKernels } from './wasm/wasm-kernels';

const wasm = createWasmKernels({ capacityFloats: 1 << 22 });

const sigmoid64 = (x: number): number => 1 / (1 + Math.exp(-x));

/** Dense grid of [−30, 30] (step 2⁻¹³, every float32 on it exact) plus ±2^e·(1 + f) for e ≥ −149. */
function grid(): Float32Array {
  const xs: number[] = [];
  const step = 2 ** -13;
  for (let i = -30 / step; i <= 30 / step; i++) xs.push(i * step);
  for (let e = -149; e <= 4; e++) {
    for (const f of [0, 0.1, 0.25, 0.3, 0.5, 0.7, 0.9, 0.999]) {
      const v = Math.fround(2 ** e * (1 + f));
      if (v <= 30) xs.push(v, -v);
    }
  }
  return Float32Array.from(xs);
}

function apply(op: 'sigmoid' | 'tanh', input: Float32Array): Float32Array {
  const x = wasm.alloc(input.length), y = wasm.alloc(input.length);
  x.set(input);
  wasm[op](x, 0, y, 0, input.length);
  return y;
}

describe('wasm sigmoid / tanh accuracy', () => {
  const xs = grid();

  it('sigmoid: relative error ≤ 1e-6 over [−30, 30]', () => {
    const y = apply('sigmoid', xs);
    let worst = 0, at = 0;
    for (let i = 0; i < xs.length; i++) {
      const t = sigmoid64(xs[i]!);
      const rel = Math.abs(y[i]! - t) / t;
      if (!(rel <= worst)) { worst = rel; at = xs[i]!; }
    }
    expect(worst, `worst at x = ${at}`).toBeLessThanOrEqual(1e-6);
  });

  it('tanh: relative error ≤ 1e-6 over [−30, 30], absolute ≤ 1e-7 on [−1, 1], tanh(0) = 0', () => {
    const y = apply('tanh', xs);
    let worstRel = 0, worstAbs = 0;
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i]!, t = Math.tanh(x);
      const abs = Math.abs(y[i]! - t);
      if (t !== 0) worstRel = Math.max(worstRel, abs / Math.abs(t));
      else expect(y[i]).toBe(0);
      if (Math.abs(x) <= 1) worstAbs = Math.max(worstAbs, abs);
    }
    expect(worstRel).toBeLessThanOrEqual(1e-6);
    expect(worstAbs).toBeLessThanOrEqual(1e-7);
  });

  it('tanh is odd bit for bit, tanh(−0) = −0, sigmoid(0) = 1/2', () => {
    const pos = Float32Array.from({ length: 997 }, (_, i) => Math.fround(i * 0.0371));
    const y = apply('tanh', pos);
    const yn = apply('tanh', pos.map((v) => -v));
    for (let i = 0; i < pos.length; i++) expect(Object.is(yn[i], -y[i]!)).toBe(true);
    expect(Object.is(apply('tanh', Float32Array.of(-0))[0], -0)).toBe(true);
    expect(apply('sigmoid', Float32Array.of(0))[0]).toBe(0.5);
  });

  it('saturates for large |x| with no NaN or Inf for any finite input (and ±Inf)', () => {
    const big = [9.5, 15, 30.5, 50, 87, 87.5, 88, 88.5, 89, 100, 104, 1e4, 1e20, 3.4028234663852886e38, Infinity];
    const input = Float32Array.from([...big, ...big.map((v) => -v)]);
    const s = apply('sigmoid', input), t = apply('tanh', input);
    for (let i = 0; i < input.length; i++) {
      const x = input[i]!;
      expect(Number.isFinite(s[i]!) && Number.isFinite(t[i]!), `x = ${x}`).toBe(true);
      expect(t[i], `tanh(${x})`).toBe(Math.sign(x));
      if (x >= 18) {
        expect(s[i], `sigmoid(${x})`).toBe(1); // 1 − σ(x) < 2⁻²⁵: rounds to 1
      } else if (x >= -87) {
        const ref = sigmoid64(x);
        expect(Math.abs(s[i]! - ref), `sigmoid(${x})`).toBeLessThanOrEqual(1e-6 * ref);
      } else {
        // σ(x) < 2⁻¹²⁵: a tiny non-negative number (exp is clamped at 88)
        expect(s[i], `sigmoid(${x})`).toBeGreaterThanOrEqual(0);
        expect(s[i], `sigmoid(${x})`).toBeLessThan(1e-37);
      }
    }
  });

  it('NaN in, NaN out', () => {
    expect(apply('sigmoid', Float32Array.of(NaN))[0]).toBeNaN();
    expect(apply('tanh', Float32Array.of(NaN))[0]).toBeNaN();
  });
});

describe('wasm sigmoid / tanh addressing', () => {
  for (const op of ['sigmoid', 'tanh'] as const) {
    const f = op === 'sigmoid' ? sigmoid64 : Math.tanh;

    it(`${op}: every n in 0..21 with offsets, writes only out[outOff .. outOff+n)`, () => {
      for (let n = 0; n <= 21; n++) {
        const xOff = n % 5, outOff = (3 * n) % 7;
        const x = wasm.alloc(xOff + n + 2), out = wasm.alloc(outOff + n + 2);
        for (let i = 0; i < x.length; i++) x[i] = Math.sin(i * 1.7 + n) * 6;
        out.fill(42);
        const x0 = Float32Array.from(x);
        wasm[op](x, xOff, out, outOff, n);
        for (let i = 0; i < out.length; i++) {
          if (i >= outOff && i < outOff + n) {
            const t = f(x[xOff + i - outOff]!);
            expect(Math.abs(out[i]! - t), `n=${n} i=${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(t));
          } else {
            expect(out[i], `n=${n} i=${i} outside`).toBe(42);
          }
        }
        expect(x).toEqual(x0);
      }
    });

    it(`${op}: in place equals out of place`, () => {
      const n = 37;
      const x = wasm.alloc(n + 3), out = wasm.alloc(n);
      for (let i = 0; i < x.length; i++) x[i] = (i - 20) * 0.77;
      wasm[op](x, 3, out, 0, n);
      wasm[op](x, 3, x, 3, n);
      expect(Array.from(x.subarray(3))).toEqual(Array.from(out));
    });

    it(`${op}: rejects foreign arrays, out-of-bounds ranges and partial overlap`, () => {
      const x = wasm.alloc(16);
      expect(() => wasm[op](new Float32Array(16), 0, x, 0, 16)).toThrow(/not an array of this kernel instance's memory/);
      expect(() => wasm[op](x, 0, new Float32Array(16), 0, 16)).toThrow(/not an array of this kernel instance's memory/);
      expect(() => wasm[op](x, 1, x, 1, 16)).toThrow(/out of bounds/);
      expect(() => wasm[op](x, 0, x, 1, 8)).toThrow(/overlap/);
    });
  }
});
