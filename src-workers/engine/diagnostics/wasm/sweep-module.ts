/**
 * The diagnostics' per-sequence kernels as a WebAssembly (SIMD) module,
 * generated at start-up (emit.ts). They compute EXACTLY what the TypeScript
 * path computes (mu.ts MuPrefix.build, matched.ts MatchedSequence.set,
 * sweep.ts sweepLag): the same IEEE operations on the same operands in the
 * same order, so the two paths agree bit for bit (tested). Vector lanes run
 * over units q (q, q+1); every sum over q is still taken in q order, lane 0
 * then lane 1, so vectorising changes no rounding; per-unit sums are per
 * lane, over t in order, as before.
 *
 * Kernels (all addresses are byte offsets in the instance's memory; the
 * array addresses and H are read from the layout block at LAYOUT):
 *   build_<kind>_<src>(p0, p1, p2, B, b, T, first) → flatUntil
 *       kind leak (const/shared/diag: leak, rdiag, -), gru (leak, rdiag, r),
 *       lstm (forget, expr, cdiag); src f32 | f64: the recorded terms,
 *       time-major [T][B][H], sequence b.
 *   set_<src>(pV, pYhat, pY, B, b, T): err[t] = ŷ - y, wv[t][q] = W_out[q]·v.
 *   sweep_<kind>_<0|1>(lag, t0, t1, unitOff, abs) → abs: rows t ∈ [t0, t1)
 *       of lag ℓ, first order off/on; ψ to psi[t-ℓ], |μ| added to
 *       unit[unitOff ..]. For each product whose exponents do not change
 *       inside a row's window (equal exponent row sums `rows_P` at its two
 *       ends) the row skips the 2^(-256·Δe) factors, which are then exactly
 *       1; one specialised row loop per combination of such products.
 */
import {
  add, and, bitselect, compileOnce, eq, type Expr, f64, fabs, fadd, fdiv, fge, fgt, flt, fmul, fsub, get, gt,
  i32, i32x4add, i32x4lane, i32x4sub, lane, load64Zero, loadF32, loadF32x2, loadF64, loadI32, loadV, type Local,
  ModuleBuilder, mul, ne, promote, replaceLane, select, selectV, shl, shrU, shuffle, splat, store64Lane0,
  storeF64, storeI32, storeV, sub, vabs, vadd, vdiv, vge, vgt, vlt, vmul, vsub,
} from './emit';

/** Byte address of the layout block (i32 fields). */
export const LAYOUT = 16;
/** Layout fields, in i32 slots from LAYOUT. */
export const F = {
  H: 0, mA: 1, eA: 2, mR: 3, eR: 4, mE: 5, eE: 6, sHi: 7, sLo: 8, expr: 9, pow: 10,
  wOut: 11, wv: 12, err: 13, unit: 14, psi: 15, rowsA: 16, rowsR: 17, rowsE: 18,
} as const;
export const LAYOUT_SLOTS = 19;

export type KernelKind = 'leak' | 'gru' | 'lstm';
export type SrcType = 'f32' | 'f64';

const RENORM_BELOW = 2 ** -512;
const RENORM_BY = 2 ** 512;
const FACTOR_MIN = 1e-12;

const field = (k: keyof typeof F): Expr => loadI32(i32(LAYOUT + 4 * F[k]));

/** clamp(c) to [1e-12, 1], NaN → 1e-12 (as clampFactor in mu.ts). */
function clamp(c: Local): Expr {
  return select(f64(1), select(get(c), f64(FACTOR_MIN), fgt(get(c), f64(FACTOR_MIN))), fge(get(c), f64(1)));
}
/** The same on both lanes: comparisons are false for NaN, as in the scalar form. */
function clampV(c: Local): Expr {
  return bitselect(splat(f64(1)), bitselect(get(c), splat(f64(FACTOR_MIN)), vgt(get(c), splat(f64(FACTOR_MIN)))), vge(get(c), splat(f64(1))));
}

/** bytes 0-3 and 8-11: the low i32 of each i64 lane, into i32 lanes 0 and 1 */
const NARROW = [0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0];

/**
 * build_<kind>_<src>: MuPrefix.build in WebAssembly, units in pairs (f64x2
 * lanes; the last unit alone when H is odd). Every lane computes exactly the
 * scalar operations of mu.ts; the exponents are i32, and rows_P[k] receives
 * their sum over units at prefix index k, for each product P (A: leak or
 * forget, R and E: the gru ρ and η).
 */
function buildKernel(mod: ModuleBuilder, kind: KernelKind, src: SrcType): void {
  const es = src === 'f32' ? 4 : 8;
  const loadTerm = (addr: Expr): Expr => (src === 'f32' ? promote(loadF32(addr)) : loadF64(addr));
  const loadTermV = (addr: Expr): Expr => (src === 'f32' ? loadF32x2(addr) : loadV(addr));
  mod.fn(`build_${kind}_${src}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'], ['i32'], (f) => {
    const [p0, p1, p2, B, b, T, first] = [0, 1, 2, 3, 4, 5, 6].map((i) => f.param(i)) as [Local, Local, Local, Local, Local, Local, Local];
    const H = f.local('i32');
    const mA = f.local('i32'), eA = f.local('i32'), mR = f.local('i32'), eR = f.local('i32'), mE = f.local('i32'), eE = f.local('i32');
    const sHi = f.local('i32'), sLo = f.local('i32'), ex = f.local('i32');
    const t = f.local('i32'), q = f.local('i32'), srcB = f.local('i32'), prevSrcB = f.local('i32');
    const p8 = f.local('i32'), c8 = f.local('i32'), p4 = f.local('i32'), c4 = f.local('i32'), pairs = f.local('i32');
    const flat = f.local('i32'), ev = f.local('i32'), cond = f.local('i32');
    // per product (A, R, E): exponent row sums and their running sums over units
    const rows = { A: f.local('i32'), R: f.local('i32'), E: f.local('i32') };
    const eSum = { A: f.local('i32'), R: f.local('i32'), E: f.local('i32') };
    const lv = f.local('f64'), l = f.local('f64'), rv = f.local('f64'), c = f.local('f64'), m = f.local('f64');
    const x = f.local('f64'), a = f.local('f64'), s = f.local('f64'), bv = f.local('f64'), ePrev = f.local('f64');
    const Vlv = f.local('v128'), Vl = f.local('v128'), Vrv = f.local('v128'), Vc = f.local('v128'), Vm = f.local('v128');
    const Vx = f.local('v128'), Va = f.local('v128'), Vs = f.local('v128'), Vbv = f.local('v128'), VePrev = f.local('v128');
    const Vmask = f.local('v128'), Ve = f.local('v128');
    const Vsum = { A: f.local('v128'), R: f.local('v128'), E: f.local('v128') };
    const products = kind === 'gru' ? (['A', 'R', 'E'] as const) : (['A'] as const);
    f.set(H, field('H'));
    f.set(mA, field('mA'));
    f.set(eA, field('eA'));
    f.set(mR, field('mR'));
    f.set(eR, field('eR'));
    f.set(mE, field('mE'));
    f.set(eE, field('eE'));
    f.set(sHi, field('sHi'));
    f.set(sLo, field('sLo'));
    f.set(ex, field('expr'));
    f.set(rows.A, field('rowsA'));
    f.set(rows.R, field('rowsR'));
    f.set(rows.E, field('rowsE'));
    f.set(pairs, and(get(H), i32(-2)));
    for (const P of products) f.exec(storeI32(get(rows[P]), i32(0)));

    // prefix index 0: products 1 (exponent 0), ratio sums 0
    f.for(q, i32(0), get(H), 1, () => {
      const q8 = shl(get(q), i32(3)), q4 = shl(get(q), i32(2));
      f.exec(storeF64(add(get(mA), q8), f64(1)));
      f.exec(storeI32(add(get(eA), q4), i32(0)));
      if (kind === 'gru') {
        f.exec(storeF64(add(get(mR), q8), f64(1)));
        f.exec(storeI32(add(get(eR), q4), i32(0)));
        f.exec(storeF64(add(get(mE), q8), f64(1)));
        f.exec(storeI32(add(get(eE), q4), i32(0)));
      }
      f.if(get(first), () => {
        f.exec(storeF64(add(get(sHi), q8), f64(0)));
        f.exec(storeF64(add(get(sLo), q8), f64(0)));
      });
    });

    const q8 = (): Expr => shl(get(q), i32(3));
    const q4 = (): Expr => shl(get(q), i32(2));
    const qe = (): Expr => mul(get(q), i32(es));

    /** P[cur] = P[prev]·c with renormalisation (PrefixProduct.step); the row sum of e grows by e. */
    const step = (mB: Local, eB: Local, cExpr: Expr, P: 'A' | 'R' | 'E'): void => {
      f.set(m, fmul(loadF64(add(add(get(mB), get(p8)), q8())), cExpr));
      f.set(cond, flt(get(m), f64(RENORM_BELOW)));
      f.set(m, select(fmul(get(m), f64(RENORM_BY)), get(m), get(cond)));
      f.set(ev, add(loadI32(add(add(get(eB), get(p4)), q4())), get(cond)));
      f.exec(storeF64(add(add(get(mB), get(c8)), q8()), get(m)));
      f.exec(storeI32(add(add(get(eB), get(c4)), q4()), get(ev)));
      f.set(eSum[P], add(get(eSum[P]), get(ev)));
    };
    /** The same for units q, q+1: the i64 lane masks become i32 increments. */
    const stepV = (mB: Local, eB: Local, cExpr: Expr, P: 'A' | 'R' | 'E'): void => {
      f.set(Vm, vmul(loadV(add(add(get(mB), get(p8)), q8())), cExpr));
      f.set(Vmask, vlt(get(Vm), splat(f64(RENORM_BELOW))));
      f.set(Vm, bitselect(vmul(get(Vm), splat(f64(RENORM_BY))), get(Vm), get(Vmask)));
      f.set(Ve, i32x4sub(load64Zero(add(add(get(eB), get(p4)), q4())), shuffle(get(Vmask), get(Vmask), NARROW)));
      f.exec(storeV(add(add(get(mB), get(c8)), q8()), get(Vm)));
      f.exec(store64Lane0(add(add(get(eB), get(c4)), q4()), get(Ve)));
      f.set(Vsum[P], i32x4add(get(Vsum[P]), get(Ve)));
    };
    /** (hi, lo)[cur] = (hi, lo)[prev] + x by TwoSum (mu.ts twoSumStep). */
    const twoSum = (): void => {
      f.set(a, loadF64(add(add(get(sHi), get(p8)), q8())));
      f.set(s, fadd(get(a), get(x)));
      f.set(bv, fsub(get(s), get(a)));
      f.exec(storeF64(add(add(get(sHi), get(c8)), q8()), get(s)));
      f.exec(storeF64(add(add(get(sLo), get(c8)), q8()),
        fadd(loadF64(add(add(get(sLo), get(p8)), q8())),
          fadd(fsub(get(a), fsub(get(s), get(bv))), fsub(get(x), get(bv))))));
    };
    const twoSumV = (): void => {
      f.set(Va, loadV(add(add(get(sHi), get(p8)), q8())));
      f.set(Vs, vadd(get(Va), get(Vx)));
      f.set(Vbv, vsub(get(Vs), get(Va)));
      f.exec(storeV(add(add(get(sHi), get(c8)), q8()), get(Vs)));
      f.exec(storeV(add(add(get(sLo), get(c8)), q8()),
        vadd(loadV(add(add(get(sLo), get(p8)), q8())),
          vadd(vsub(get(Va), vsub(get(Vs), get(Vbv))), vsub(get(Vx), get(Vbv))))));
    };

    const scalar = (): void => {
      if (kind === 'lstm') {
        f.set(lv, loadTerm(add(add(get(p0), get(srcB)), qe())));
        f.set(l, clamp(lv));
        step(mA, eA, get(l), 'A');
        // e_t of this sequence, [T][H]
        f.exec(storeF64(add(add(get(ex), get(p8)), q8()), loadTerm(add(add(get(p1), get(srcB)), qe()))));
        f.if(get(first), () => {
          // e_{t-1}, with e_{-1} = 0
          f.set(ePrev, select(loadTerm(add(add(get(p1), get(prevSrcB)), qe())), f64(0), gt(get(t), i32(0))));
          f.set(x, fdiv(fmul(loadTerm(add(add(get(p2), get(srcB)), qe())), get(ePrev)), get(l)));
          twoSum();
        });
      } else {
        f.set(lv, loadTerm(add(add(get(p0), get(srcB)), qe())));
        f.set(l, clamp(lv));
        step(mA, eA, get(l), 'A');
        if (kind === 'gru') {
          f.set(rv, loadTerm(add(add(get(p2), get(srcB)), qe())));
          step(mR, eR, clamp(rv), 'R');
          f.set(c, fmul(get(lv), get(rv)));
          step(mE, eE, clamp(c), 'E');
        }
        f.if(get(first), () => {
          f.set(x, fdiv(loadTerm(add(add(get(p1), get(srcB)), qe())), get(l)));
          twoSum();
        });
      }
    };
    const vector = (): void => {
      if (kind === 'lstm') {
        f.set(Vlv, loadTermV(add(add(get(p0), get(srcB)), qe())));
        f.set(Vl, clampV(Vlv));
        stepV(mA, eA, get(Vl), 'A');
        f.exec(storeV(add(add(get(ex), get(p8)), q8()), loadTermV(add(add(get(p1), get(srcB)), qe()))));
        f.if(get(first), () => {
          f.set(VePrev, selectV(loadTermV(add(add(get(p1), get(prevSrcB)), qe())), splat(f64(0)), gt(get(t), i32(0))));
          f.set(Vx, vdiv(vmul(loadTermV(add(add(get(p2), get(srcB)), qe())), get(VePrev)), get(Vl)));
          twoSumV();
        });
      } else {
        f.set(Vlv, loadTermV(add(add(get(p0), get(srcB)), qe())));
        f.set(Vl, clampV(Vlv));
        stepV(mA, eA, get(Vl), 'A');
        if (kind === 'gru') {
          f.set(Vrv, loadTermV(add(add(get(p2), get(srcB)), qe())));
          stepV(mR, eR, clampV(Vrv), 'R');
          f.set(Vc, vmul(get(Vlv), get(Vrv)));
          stepV(mE, eE, clampV(Vc), 'E');
        }
        f.if(get(first), () => {
          f.set(Vx, vdiv(loadTermV(add(add(get(p1), get(srcB)), qe())), get(Vl)));
          twoSumV();
        });
      }
    };

    f.set(flat, get(T));
    f.for(t, i32(0), get(T), 1, () => {
      f.set(srcB, mul(mul(add(mul(get(t), get(B)), get(b)), get(H)), i32(es)));
      // the previous step's term row (lstm e_{t-1}); at t = 0 any valid address (unused)
      f.set(prevSrcB, select(sub(get(srcB), mul(mul(get(B), get(H)), i32(es))), get(srcB), gt(get(t), i32(0))));
      f.set(p8, mul(mul(get(t), get(H)), i32(8)));
      f.set(c8, add(get(p8), shl(get(H), i32(3))));
      f.set(p4, shrU(get(p8), i32(1)));
      f.set(c4, shrU(get(c8), i32(1)));
      for (const P of products) {
        f.set(eSum[P], i32(0));
        f.set(Vsum[P], splat(f64(0)));
      }
      f.for(q, i32(0), get(pairs), 2, vector);
      f.if(ne(get(pairs), get(H)), () => {
        f.set(q, get(pairs));
        scalar();
      });
      // rows_P[t+1] = Σ_q e_P at prefix index t+1 (non-decreasing in t)
      for (const P of products) {
        f.set(eSum[P], add(get(eSum[P]), add(i32x4lane(get(Vsum[P]), 0), i32x4lane(get(Vsum[P]), 1))));
        f.exec(storeI32(add(get(rows[P]), shl(add(get(t), i32(1)), i32(2))), get(eSum[P])));
        f.if(and(ne(get(eSum[P]), i32(0)), eq(get(flat), get(T))), () => f.set(flat, get(t)));
      }
    });
    f.return(get(flat));
  });
}

function setKernel(mod: ModuleBuilder, src: SrcType): void {
  const es = src === 'f32' ? 4 : 8;
  const loadTerm = (addr: Expr): Expr => (src === 'f32' ? promote(loadF32(addr)) : loadF64(addr));
  mod.fn(`set_${src}`, ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], [], (f) => {
    const [pV, pYhat, pY, B, b, T] = [0, 1, 2, 3, 4, 5].map((i) => f.param(i)) as [Local, Local, Local, Local, Local, Local];
    const H = f.local('i32'), wOut = f.local('i32'), wv = f.local('i32'), err = f.local('i32');
    const t = f.local('i32'), q = f.local('i32'), k = f.local('i32'), src0 = f.local('i32'), dst = f.local('i32');
    f.set(H, field('H'));
    f.set(wOut, field('wOut'));
    f.set(wv, field('wv'));
    f.set(err, field('err'));
    f.for(t, i32(0), get(T), 1, () => {
      f.set(k, mul(add(mul(get(t), get(B)), get(b)), i32(es)));
      f.exec(storeF64(add(get(err), shl(get(t), i32(3))),
        fsub(loadTerm(add(get(pYhat), get(k))), loadTerm(add(get(pY), get(k))))));
      f.set(src0, add(get(pV), mul(get(k), get(H))));
      f.set(dst, add(get(wv), mul(mul(get(t), get(H)), i32(8))));
      f.for(q, i32(0), get(H), 1, () => {
        f.exec(storeF64(add(get(dst), shl(get(q), i32(3))),
          fmul(loadF64(add(get(wOut), shl(get(q), i32(3)))), loadTerm(add(get(src0), mul(get(q), i32(es)))))));
      });
    });
  });
}

function sweepKernel(mod: ModuleBuilder, kind: KernelKind, first: boolean): void {
  mod.fn(`sweep_${kind}_${first ? 1 : 0}`, ['i32', 'i32', 'i32', 'i32', 'f64'], ['f64'], (f) => {
    const [lag, t0, t1, unitOff] = [0, 1, 2, 3].map((i) => f.param(i)) as [Local, Local, Local, Local];
    const absP = f.param(4);
    const H = f.local('i32'), mA = f.local('i32'), eA = f.local('i32'), mR = f.local('i32'), eR = f.local('i32');
    const mE = f.local('i32'), eE = f.local('i32'), sHi = f.local('i32'), sLo = f.local('i32'), ex = f.local('i32');
    const pow = f.local('i32'), wv = f.local('i32'), err = f.local('i32'), unit = f.local('i32'), psi = f.local('i32');
    const rows = { A: f.local('i32'), R: f.local('i32'), E: f.local('i32') };
    const flatP = { A: f.local('i32'), R: f.local('i32'), E: f.local('i32') };
    const products = kind === 'gru' ? (['A', 'R', 'E'] as const) : (['A'] as const);
    const t = f.local('i32'), q8 = f.local('i32'), pairs8 = f.local('i32'), row8 = f.local('i32');
    const hi8 = f.local('i32'), lo8 = f.local('i32'), wo8 = f.local('i32'), et8 = f.local('i32');
    const s = f.local('f64'), d = f.local('f64');
    const vm0 = f.local('v128'), vP = f.local('v128'), vmu = f.local('v128'), va = f.local('v128'), vp = f.local('v128');
    const m0 = f.local('f64'), P = f.local('f64'), mu = f.local('f64'), a = f.local('f64');
    // 2^(-256·Δe) per product (rows with a renormalisation inside the window)
    const vh = { A: f.local('v128'), R: f.local('v128'), E: f.local('v128') };
    const sh = { A: f.local('f64'), R: f.local('f64'), E: f.local('f64') };
    f.set(H, field('H'));
    f.set(mA, field('mA'));
    f.set(eA, field('eA'));
    f.set(mR, field('mR'));
    f.set(eR, field('eR'));
    f.set(mE, field('mE'));
    f.set(eE, field('eE'));
    f.set(sHi, field('sHi'));
    f.set(sLo, field('sLo'));
    f.set(ex, field('expr'));
    f.set(pow, field('pow'));
    f.set(wv, field('wv'));
    f.set(err, field('err'));
    f.set(unit, add(field('unit'), get(unitOff)));
    f.set(psi, field('psi'));
    f.set(rows.A, field('rowsA'));
    f.set(rows.R, field('rowsR'));
    f.set(rows.E, field('rowsE'));
    f.set(row8, shl(get(H), i32(3)));
    f.set(pairs8, shl(and(get(H), i32(-2)), i32(3)));

    // addresses of element q8 (f64 arrays) / q8>>1 (i32 exponent arrays) in rows hi and lo
    const at = (base: Local, row: Local): Expr => add(add(get(base), get(row)), get(q8));
    const atE = (base: Local, row: Local): Expr => add(add(get(base), shrU(get(row), i32(1))), shrU(get(q8), i32(1)));
    const powAt = (dd: Expr): Expr => loadF64(add(get(pow), shl(dd, i32(3))));
    const dE = (base: Local, off: number): Expr => sub(loadI32(atE(base, hi8), off), loadI32(atE(base, lo8), off));

    /**
     * Window product of prefix (m, e): ((m_hi/m_lo)·h)·h, or m_hi/m_lo when no
     * exponent changes inside the window (then h = 1 and both products by h
     * are exact). The factor h is stored first (a statement emitted now,
     * before the returned expression is used), one local per product.
     */
    const ratioV = (flat: boolean, mB: Local, eB: Local, which: 'A' | 'R' | 'E'): Expr => {
      const r = vdiv(loadV(at(mB, hi8)), loadV(at(mB, lo8)));
      if (flat) return r;
      const h = vh[which];
      f.set(h, replaceLane(splat(powAt(dE(eB, 0))), 1, powAt(dE(eB, 4))));
      return vmul(vmul(r, get(h)), get(h));
    };
    const ratioS = (flat: boolean, mB: Local, eB: Local, which: 'A' | 'R' | 'E'): Expr => {
      const r = fdiv(loadF64(at(mB, hi8)), loadF64(at(mB, lo8)));
      if (flat) return r;
      const h = sh[which];
      f.set(h, powAt(dE(eB, 0)));
      return fmul(fmul(r, get(h)), get(h));
    };

    /** units q8/8 and q8/8 + 1 */
    type Flats = Record<'A' | 'R' | 'E', boolean>;
    const vector = (fl: Flats): void => {
      if (kind === 'gru') {
        f.set(vP, ratioV(fl.A, mA, eA, 'A')); // γ
        f.set(vm0, vadd(vadd(get(vP), ratioV(fl.R, mR, eR, 'R')), ratioV(fl.E, mE, eE, 'E')));
      } else if (kind === 'lstm') {
        f.set(vm0, vmul(loadV(at(ex, et8)), ratioV(fl.A, mA, eA, 'A')));
        f.set(vP, get(vm0));
      } else {
        f.set(vm0, ratioV(fl.A, mA, eA, 'A'));
        f.set(vP, get(vm0));
      }
      if (first) {
        f.set(vmu, vadd(get(vm0), vmul(get(vP), vadd(
          vsub(loadV(at(sHi, hi8)), loadV(at(sHi, lo8))),
          vsub(loadV(at(sLo, hi8)), loadV(at(sLo, lo8)))))));
      } else {
        f.set(vmu, get(vm0));
      }
      f.set(va, vabs(get(vmu)));
      f.set(s, fadd(fadd(get(s), lane(get(va), 0)), lane(get(va), 1)));
      f.exec(storeV(add(get(unit), get(q8)), vadd(loadV(add(get(unit), get(q8))), get(va))));
      f.set(vp, vmul(get(vmu), loadV(at(wv, wo8))));
      f.set(d, fadd(fadd(get(d), lane(get(vp), 0)), lane(get(vp), 1)));
    };
    /** unit q8/8 alone (the last one when H is odd) */
    const scalar = (fl: Flats): void => {
      if (kind === 'gru') {
        f.set(P, ratioS(fl.A, mA, eA, 'A'));
        f.set(m0, fadd(fadd(get(P), ratioS(fl.R, mR, eR, 'R')), ratioS(fl.E, mE, eE, 'E')));
      } else if (kind === 'lstm') {
        f.set(m0, fmul(loadF64(at(ex, et8)), ratioS(fl.A, mA, eA, 'A')));
        f.set(P, get(m0));
      } else {
        f.set(m0, ratioS(fl.A, mA, eA, 'A'));
        f.set(P, get(m0));
      }
      if (first) {
        f.set(mu, fadd(get(m0), fmul(get(P), fadd(
          fsub(loadF64(at(sHi, hi8)), loadF64(at(sHi, lo8))),
          fsub(loadF64(at(sLo, hi8)), loadF64(at(sLo, lo8)))))));
      } else {
        f.set(mu, get(m0));
      }
      f.set(a, fabs(get(mu)));
      f.set(s, fadd(get(s), get(a)));
      f.exec(storeF64(add(get(unit), get(q8)), fadd(loadF64(add(get(unit), get(q8))), get(a))));
      f.set(d, fadd(get(d), fmul(get(mu), loadF64(at(wv, wo8)))));
    };
    const row = (fl: Flats): void => {
      f.for(q8, i32(0), get(pairs8), 16, () => vector(fl));
      f.if(ne(get(pairs8), get(row8)), () => {
        f.set(q8, get(pairs8));
        scalar(fl);
      });
    };
    /** one specialised row loop per combination of flat / renormalised products */
    const dispatch = (i: number, fl: Flats): void => {
      if (i === products.length) {
        row(fl);
        return;
      }
      const P = products[i]!;
      f.if(get(flatP[P]), () => dispatch(i + 1, { ...fl, [P]: true }), () => dispatch(i + 1, { ...fl, [P]: false }));
    };

    f.for(t, get(t0), get(t1), 1, () => {
      f.set(hi8, mul(add(get(t), i32(1)), get(row8)));
      f.set(lo8, sub(get(hi8), mul(get(lag), get(row8))));
      f.set(wo8, sub(get(lo8), get(row8)));
      f.set(et8, sub(get(hi8), get(row8)));
      f.set(s, f64(0));
      f.set(d, f64(0));
      // no renormalisation of product P inside the window ⇔ equal row sums of
      // its exponents at both ends (every exponent is non-decreasing in t)
      for (const P of products) {
        f.set(flatP[P], eq(loadI32(add(get(rows[P]), shl(add(get(t), i32(1)), i32(2)))),
          loadI32(add(get(rows[P]), shl(sub(add(get(t), i32(1)), get(lag)), i32(2))))));
      }
      dispatch(0, { A: true, R: true, E: true });
      f.set(absP, fadd(get(absP), get(s)));
      f.exec(storeF64(add(get(psi), shl(sub(get(t), get(lag)), i32(3))),
        fmul(loadF64(add(get(err), shl(get(t), i32(3)))), get(d))));
    });
    f.return(get(absP));
  });
}

/** The module's bytes (deterministic). */
export function sweepModuleBytes(): Uint8Array {
  const mod = new ModuleBuilder();
  for (const kind of ['leak', 'gru', 'lstm'] as const) {
    for (const src of ['f32', 'f64'] as const) buildKernel(mod, kind, src);
    for (const first of [false, true]) sweepKernel(mod, kind, first);
  }
  for (const src of ['f32', 'f64'] as const) setKernel(mod, src);
  return mod.encode();
}

export const sweepModule = compileOnce(sweepModuleBytes);
