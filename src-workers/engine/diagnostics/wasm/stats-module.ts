/**
 * WebAssembly kernels of the tail-index estimators (stats/estimators.ts),
 * generated at start-up (emit.ts). Both give exactly the results of the
 * TypeScript code they replace:
 *
 *   sort_f64(a, tmp, n, hist) → 0 | 1
 *       Ascending sort of n finite float64 values at `a` by an LSD radix sort
 *       on their order-preserving 64-bit keys (key = bits ^ (sign ? ~0 :
 *       2^63)): 11-bit digits, six passes, a pass skipped when every key has
 *       the same digit. Equal keys are equal bit patterns, so the result is
 *       the unique ascending order of Float64Array.prototype.sort (-0 before
 *       +0). Returns where the result lies: 0 at `a`, 1 at `tmp`.
 *       `hist` needs 6·2048 u32.
 *   ecf_sums(c0, s0, cd, sd, n, G, out)
 *       out[2k] = Σ_i cos(t_k x_i), out[2k+1] = Σ_i sin(t_k x_i) on the grid
 *       t_k = t_0 + k·Δ, k < G, from c0 = cos(t_0 x), s0 = sin(t_0 x),
 *       cd = cos(Δx), sd = sin(Δx) by the rotation recurrence
 *       (c, s) ← (c·cd - s·sd, s·cd + c·sd), as estimators.ts does: two
 *       vectors of two samples advance together; their (c, s) pairs are
 *       regrouped by shuffles and added to (Σ cos, Σ sin) one sample at a
 *       time, in index order, so every sum rounds as the scalar loop does.
 */
import {
  add, and, compileOnce, type Expr, extendU, f64, fneg, get, i32, i64, lane, loadF64, loadF64Splat, loadI32,
  loadI64, loadV, type Local, lt, ModuleBuilder, mul, or64, replaceLane, shl, shrS64, shrU64, shuffle, splat,
  storeI32, storeI64, storeV, sub, vadd, vmul, vsub, wrap, xor64,
} from './emit';

export const RADIX_BITS = 11;
export const RADIX_SIZE = 1 << RADIX_BITS;
export const RADIX_PASSES = 6;
/** bytes of the radix histogram */
export const HIST_BYTES = RADIX_PASSES * RADIX_SIZE * 4;

const MIN64 = -(2n ** 63n);

function sortKernel(mod: ModuleBuilder): void {
  mod.fn('sort_f64', ['i32', 'i32', 'i32', 'i32'], ['i32'], (f) => {
    const [a, tmp, n, hist] = [0, 1, 2, 3].map((i) => f.param(i)) as [Local, Local, Local, Local];
    const i = f.local('i32'), p = f.local('i32'), d = f.local('i32'), h = f.local('i32'), sum = f.local('i32');
    const c = f.local('i32'), src = f.local('i32'), dst = f.local('i32'), sw = f.local('i32'), which = f.local('i32');
    const x = f.local('i64'), k = f.local('i64'), shift = f.local('i64');
    const digit = (key: Expr, pass: Expr): Expr =>
      and(wrap(shrU64(key, extendU(mul(pass, i32(RADIX_BITS))))), i32(RADIX_SIZE - 1));

    f.for(i, i32(0), i32(RADIX_PASSES * RADIX_SIZE), 1, () => f.exec(storeI32(add(get(hist), shl(get(i), i32(2))), i32(0))));
    // keys in place, and every pass's histogram
    f.for(i, i32(0), get(n), 1, () => {
      f.set(x, loadI64(add(get(a), shl(get(i), i32(3)))));
      f.set(k, xor64(get(x), or64(shrS64(get(x), i64(63n)), i64(MIN64))));
      f.exec(storeI64(add(get(a), shl(get(i), i32(3))), get(k)));
      for (let pass = 0; pass < RADIX_PASSES; pass++) {
        f.set(h, add(get(hist), shl(add(i32(pass * RADIX_SIZE), digit(get(k), i32(pass))), i32(2))));
        f.exec(storeI32(get(h), add(loadI32(get(h)), i32(1))));
      }
    });
    f.set(src, get(a));
    f.set(dst, get(tmp));
    f.set(which, i32(0));
    f.for(p, i32(0), i32(RADIX_PASSES), 1, () => {
      const base = add(get(hist), shl(mul(get(p), i32(RADIX_SIZE)), i32(2)));
      // skip when every key has the digit of the first key
      f.set(d, digit(loadI64(get(src)), get(p)));
      f.if(lt(loadI32(add(base, shl(get(d), i32(2)))), get(n)), () => {
        // exclusive prefix sums → start positions
        f.set(sum, i32(0));
        f.for(d, i32(0), i32(RADIX_SIZE), 1, () => {
          f.set(h, add(base, shl(get(d), i32(2))));
          f.set(c, loadI32(get(h)));
          f.exec(storeI32(get(h), get(sum)));
          f.set(sum, add(get(sum), get(c)));
        });
        f.for(i, i32(0), get(n), 1, () => {
          f.set(k, loadI64(add(get(src), shl(get(i), i32(3)))));
          f.set(h, add(base, shl(digit(get(k), get(p)), i32(2))));
          f.set(c, loadI32(get(h)));
          f.exec(storeI32(get(h), add(get(c), i32(1))));
          f.exec(storeI64(add(get(dst), shl(get(c), i32(3))), get(k)));
        });
        f.set(sw, get(src));
        f.set(src, get(dst));
        f.set(dst, get(sw));
        f.set(which, sub(i32(1), get(which)));
      });
    });
    // keys back to values: x = k ^ (~(k >>s 63) | 2^63)
    f.set(shift, i64(63n));
    f.for(i, i32(0), get(n), 1, () => {
      f.set(k, loadI64(add(get(src), shl(get(i), i32(3)))));
      f.exec(storeI64(add(get(src), shl(get(i), i32(3))),
        xor64(get(k), or64(xor64(shrS64(get(k), get(shift)), i64(-1n)), i64(MIN64)))));
    });
    f.return(get(which));
  });
}

/** (lane 0 of a, lane 0 of b) and (lane 1 of a, lane 1 of b) as i8x16 shuffles */
const LOW = [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
const HIGH = [8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31];

function ecfKernel(mod: ModuleBuilder): void {
  mod.fn('ecf_sums', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f) => {
    const [c0, s0, cd, sd, n, G, out] = [0, 1, 2, 3, 4, 5, 6].map((i) => f.param(i)) as [Local, Local, Local, Local, Local, Local, Local];
    const i = f.local('i32'), k = f.local('i32'), o = f.local('i32'), n4 = f.local('i32'), G16 = f.local('i32');
    const vc1 = f.local('v128'), vs1 = f.local('v128'), vcd1 = f.local('v128'), vsd1 = f.local('v128');
    const vc2 = f.local('v128'), vs2 = f.local('v128'), vcd2 = f.local('v128'), vsd2 = f.local('v128'), vt = f.local('v128');
    const z = f.local('v128'), zcd = f.local('v128'), zsd = f.local('v128'), zu = f.local('v128'), acc = f.local('v128');
    f.set(G16, shl(get(G), i32(4)));
    // out[k] = (Σ cos, Σ sin) pairs
    f.for(k, i32(0), get(G16), 16, () => f.exec(storeV(add(get(out), get(k)), splat(f64(0)))));
    f.set(n4, and(get(n), i32(-4)));
    f.for(i, i32(0), get(n4), 4, () => {
      f.set(o, shl(get(i), i32(3)));
      f.set(vc1, loadV(add(get(c0), get(o))));
      f.set(vs1, loadV(add(get(s0), get(o))));
      f.set(vcd1, loadV(add(get(cd), get(o))));
      f.set(vsd1, loadV(add(get(sd), get(o))));
      f.set(vc2, loadV(add(get(c0), get(o)), 16));
      f.set(vs2, loadV(add(get(s0), get(o)), 16));
      f.set(vcd2, loadV(add(get(cd), get(o)), 16));
      f.set(vsd2, loadV(add(get(sd), get(o)), 16));
      f.for(k, i32(0), get(G16), 16, () => {
        // (C_k, S_k) += (c, s) of samples i, i+1, i+2, i+3, one at a time
        f.set(acc, loadV(add(get(out), get(k))));
        f.set(acc, vadd(get(acc), shuffle(get(vc1), get(vs1), LOW)));
        f.set(acc, vadd(get(acc), shuffle(get(vc1), get(vs1), HIGH)));
        f.set(acc, vadd(get(acc), shuffle(get(vc2), get(vs2), LOW)));
        f.set(acc, vadd(get(acc), shuffle(get(vc2), get(vs2), HIGH)));
        f.exec(storeV(add(get(out), get(k)), get(acc)));
        // (c, s) ← (c·cd - s·sd, s·cd + c·sd)
        f.set(vt, vsub(vmul(get(vc1), get(vcd1)), vmul(get(vs1), get(vsd1))));
        f.set(vs1, vadd(vmul(get(vs1), get(vcd1)), vmul(get(vc1), get(vsd1))));
        f.set(vc1, get(vt));
        f.set(vt, vsub(vmul(get(vc2), get(vcd2)), vmul(get(vs2), get(vsd2))));
        f.set(vs2, vadd(vmul(get(vs2), get(vcd2)), vmul(get(vc2), get(vsd2))));
        f.set(vc2, get(vt));
      });
    });
    // the last n mod 4 samples, one by one, as z = (c, s):
    // z ← z·(cd, cd) + (s, c)·(-sd, sd), i.e. (c·cd + s·(-sd), s·cd + c·sd) = (c·cd - s·sd, s·cd + c·sd) exactly
    f.for(i, get(n4), get(n), 1, () => {
      f.set(o, shl(get(i), i32(3)));
      f.set(z, replaceLane(splat(loadF64(add(get(c0), get(o)))), 1, loadF64(add(get(s0), get(o)))));
      f.set(zcd, splat(loadF64(add(get(cd), get(o)))));
      f.set(zsd, loadF64Splat(add(get(sd), get(o))));
      f.set(zu, replaceLane(get(zsd), 0, fneg(lane(get(zsd), 0))));
      f.for(k, i32(0), get(G16), 16, () => {
        f.exec(storeV(add(get(out), get(k)), vadd(loadV(add(get(out), get(k))), get(z))));
        f.set(z, vadd(vmul(get(z), get(zcd)), vmul(shuffle(get(z), get(z), HIGH_LOW), get(zu))));
      });
    });
  });
}

/** swap the two f64 lanes */
const HIGH_LOW = [8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];

export function statsModuleBytes(): Uint8Array {
  const mod = new ModuleBuilder();
  sortKernel(mod);
  ecfKernel(mod);
  return mod.encode();
}

export const statsModule = compileOnce(statsModuleBytes);
