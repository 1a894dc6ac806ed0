// Fused per-step kernels of the five cells in f32x4 (SCIENCE.md §2, §5;
// contracts in ../../types.ts, float64 reference loops in ../../ts-cells.ts).
// Every kernel walks B rows; within a row, chunks of 4 units, then one
// partial chunk of H mod 4 units (partial loads/stores: nothing outside the
// addressed rows is read or written). The chunk functions are inlined with a
// literal width 4 in the main loop, so its loads and stores are plain v128.
import { ldN, sigmoidv, stN, tanhv } from './activations';

// @ts-ignore: decorator
@inline function add(a: v128, b: v128): v128 { return f32x4.add(a, b); }
// @ts-ignore: decorator
@inline function sub(a: v128, b: v128): v128 { return f32x4.sub(a, b); }
// @ts-ignore: decorator
@inline function mul(a: v128, b: v128): v128 { return f32x4.mul(a, b); }
// @ts-ignore: decorator
@inline function one(): v128 { return f32x4.splat(1); }
/** σ' = s(1 − s) */
// @ts-ignore: decorator
@inline function dsig(s: v128): v128 { return mul(s, sub(one(), s)); }
/** tanh' = 1 − t² */
// @ts-ignore: decorator
@inline function dtanh(t: v128): v128 { return sub(one(), mul(t, t)); }
// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// ---------------------------------------------------------------------------
// const / shared / diag: mode 0 (s = constS), 1 (one s per row), 2 (s per unit)
// ---------------------------------------------------------------------------

/** Returns h ⊙ wOut (lanes beyond n are 0) for the ŷ dot product. */
// @ts-ignore: decorator
@inline function gatedFwdChunk(a: usize, s: usize, sv: v128, hp: usize, h: usize, w: usize, n: i32, mode: i32): v128 {
  const sg = mode == 2 ? sigmoidv(ldN(s, n)) : sv;
  const ht = tanhv(ldN(a, n));
  const hpv = ldN(hp, n);
  const hv = add(hpv, mul(sg, sub(ht, hpv)));
  if (mode == 2) stN(s, sg, n);
  stN(a, ht, n);
  stN(h, hv, n);
  return mul(hv, ldN(w, n));
}

/** Two chunks (8 units), every store after the arithmetic (more independent work in flight). */
// @ts-ignore: decorator
@inline function gatedFwd8(a: usize, s: usize, sv: v128, hp: usize, h: usize, w: usize, mode: i32): v128 {
  const s0 = mode == 2 ? sigmoidv(v128.load(s)) : sv;
  const s1 = mode == 2 ? sigmoidv(v128.load(s, 16)) : sv;
  const t0 = tanhv(v128.load(a)), t1 = tanhv(v128.load(a, 16));
  const p0 = v128.load(hp), p1 = v128.load(hp, 16);
  const h0 = add(p0, mul(s0, sub(t0, p0))), h1 = add(p1, mul(s1, sub(t1, p1)));
  if (mode == 2) { v128.store(s, s0); v128.store(s, s1, 16); }
  v128.store(a, t0); v128.store(a, t1, 16);
  v128.store(h, h0); v128.store(h, h1, 16);
  return add(mul(h0, v128.load(w)), mul(h1, v128.load(w, 16)));
}

// @ts-ignore: decorator
@inline function gatedFwdRows(B: i32, H: i32, constS: f32, a: usize, s: usize, hp: usize, h: usize,
  w: usize, bOut: f32, y: usize, mode: i32): void {
  const hB = <usize>H << 2;
  const H4 = H & ~3, H8 = H & ~7, rem = H - H4;
  for (let b = 0; b < B; b++) {
    let sv = f32x4.splat(constS);
    if (mode == 1) {
      const s1 = sigmoidv(f32x4.splat(load<f32>(s)));
      store<f32>(s, f32x4.extract_lane(s1, 0));
      sv = s1;
    }
    let acc = f32x4.splat(0);
    let q = 0;
    for (; q < H8; q += 8) {
      const o = <usize>q << 2;
      acc = add(acc, gatedFwd8(a + o, s + o, sv, hp + o, h + o, w + o, mode));
    }
    for (; q < H4; q += 4) {
      const o = <usize>q << 2;
      acc = add(acc, gatedFwdChunk(a + o, s + o, sv, hp + o, h + o, w + o, 4, mode));
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      acc = add(acc, gatedFwdChunk(a + o, s + o, sv, hp + o, h + o, w + o, rem, mode));
    }
    store<f32>(y + (<usize>b << 2), hsum(acc) + bOut);
    a += hB; hp += hB; h += hB;
    s += mode == 2 ? hB : mode == 1 ? 4 : 0;
  }
}

export function gatedForwardK(B: i32, H: i32, G: i32, constS: f32, a: usize, s: usize, hp: usize, h: usize,
  w: usize, bOut: f32, y: usize): void {
  if (G == 0) gatedFwdRows(B, H, constS, a, s, hp, h, w, bOut, y, 0);
  else if (G == 1) gatedFwdRows(B, H, constS, a, s, hp, h, w, bOut, y, 1);
  else gatedFwdRows(B, H, constS, a, s, hp, h, w, bOut, y, 2);
}

/** Returns dh ⊙ (h̃ − hp) (mode 1: the per-row gate sum). */
// @ts-ignore: decorator
@inline function gatedBwdChunk(a: usize, s: usize, sv: v128, hp: usize, dyv: v128, w: usize, c: usize,
  n: i32, mode: i32): v128 {
  const dh = add(ldN(c, n), mul(dyv, ldN(w, n)));
  const sg = mode == 2 ? ldN(s, n) : sv;
  const ht = ldN(a, n);
  const diff = sub(ht, ldN(hp, n));
  stN(a, mul(mul(dh, sg), dtanh(ht)), n);
  const dd = mul(dh, diff);
  if (mode == 2) stN(s, mul(dd, dsig(sg)), n);
  stN(c, mul(dh, sub(one(), sg)), n);
  return dd;
}

// @ts-ignore: decorator
@inline function gatedBwdRows(B: i32, H: i32, constS: f32, a: usize, s: usize, hp: usize, dy: usize,
  w: usize, c: usize, mode: i32): void {
  const hB = <usize>H << 2;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    const sb: f32 = mode == 1 ? load<f32>(s) : constS;
    const sv = f32x4.splat(sb);
    const dyv = f32x4.splat(load<f32>(dy + (<usize>b << 2)));
    let acc = f32x4.splat(0);
    for (let q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      acc = add(acc, gatedBwdChunk(a + o, s + o, sv, hp + o, dyv, w + o, c + o, 4, mode));
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      acc = add(acc, gatedBwdChunk(a + o, s + o, sv, hp + o, dyv, w + o, c + o, rem, mode));
    }
    if (mode == 1) store<f32>(s, hsum(acc) * sb * (1 - sb));
    a += hB; hp += hB; c += hB;
    s += mode == 2 ? hB : mode == 1 ? 4 : 0;
  }
}

export function gatedBackwardK(B: i32, H: i32, G: i32, constS: f32, a: usize, s: usize, hp: usize, dy: usize,
  w: usize, c: usize): void {
  if (G == 0) gatedBwdRows(B, H, constS, a, s, hp, dy, w, c, 0);
  else if (G == 1) gatedBwdRows(B, H, constS, a, s, hp, dy, w, c, 1);
  else gatedBwdRows(B, H, constS, a, s, hp, dy, w, c, 2);
}

// @ts-ignore: decorator
@inline function gatedTanChunk(a: usize, s: usize, sv: v128, dsv: v128, hp: usize, vp: usize, da: usize,
  dp: usize, v: usize, n: i32, mode: i32): void {
  let sg = sv, ds = dsv;
  if (mode == 2) {
    sg = ldN(s, n);
    ds = mul(dsig(sg), ldN(dp, n));
  }
  const ht = ldN(a, n);
  const r = add(add(mul(sub(one(), sg), ldN(vp, n)), mul(mul(sg, dtanh(ht)), ldN(da, n))),
    mul(ds, sub(ht, ldN(hp, n))));
  stN(v, r, n);
}

// @ts-ignore: decorator
@inline function gatedTanRows(B: i32, H: i32, constS: f32, a: usize, s: usize, hp: usize, vp: usize,
  da: usize, dp: usize, v: usize, mode: i32): void {
  const hB = <usize>H << 2;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    let sv = f32x4.splat(constS), dsv = f32x4.splat(0);
    if (mode == 1) {
      const sb = load<f32>(s);
      sv = f32x4.splat(sb);
      dsv = f32x4.splat(sb * (1 - sb) * load<f32>(dp));
    }
    for (let q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      gatedTanChunk(a + o, s + o, sv, dsv, hp + o, vp + o, da + o, dp + o, v + o, 4, mode);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      gatedTanChunk(a + o, s + o, sv, dsv, hp + o, vp + o, da + o, dp + o, v + o, rem, mode);
    }
    a += hB; hp += hB; vp += hB; da += hB; v += hB;
    const gs: usize = mode == 2 ? hB : mode == 1 ? 4 : 0;
    s += gs; dp += gs;
  }
}

export function gatedTangentK(B: i32, H: i32, G: i32, constS: f32, a: usize, s: usize, hp: usize, vp: usize,
  da: usize, dp: usize, v: usize): void {
  if (G == 0) gatedTanRows(B, H, constS, a, s, hp, vp, da, dp, v, 0);
  else if (G == 1) gatedTanRows(B, H, constS, a, s, hp, vp, da, dp, v, 1);
  else gatedTanRows(B, H, constS, a, s, hp, vp, da, dp, v, 2);
}

// ---------------------------------------------------------------------------
// GRU: gate rows [B][3H], blocks z, r, g
// ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function gruGatesChunk(g: usize, hB: usize, hp: usize, rh: usize, n: i32): void {
  const z = sigmoidv(ldN(g, n));
  const r = sigmoidv(ldN(g + hB, n));
  const x = mul(r, ldN(hp, n));
  stN(g, z, n);
  stN(g + hB, r, n);
  stN(rh, x, n);
}

// @ts-ignore: decorator
@inline function gruGates8(g: usize, hB: usize, hp: usize, rh: usize): void {
  const z0 = sigmoidv(v128.load(g)), z1 = sigmoidv(v128.load(g, 16));
  const r0 = sigmoidv(v128.load(g + hB)), r1 = sigmoidv(v128.load(g + hB, 16));
  const x0 = mul(r0, v128.load(hp)), x1 = mul(r1, v128.load(hp, 16));
  v128.store(g, z0); v128.store(g, z1, 16);
  v128.store(g + hB, r0); v128.store(g + hB, r1, 16);
  v128.store(rh, x0); v128.store(rh, x1, 16);
}

export function gruGatesK(B: i32, H: i32, g: usize, hp: usize, rh: usize): void {
  const hB = <usize>H << 2, gB = hB * 3;
  const H4 = H & ~3, H8 = H & ~7, rem = H - H4;
  for (let b = 0; b < B; b++) {
    let q = 0;
    for (; q < H8; q += 8) {
      const o = <usize>q << 2;
      gruGates8(g + o, hB, hp + o, rh + o);
    }
    for (; q < H4; q += 4) {
      const o = <usize>q << 2;
      gruGatesChunk(g + o, hB, hp + o, rh + o, 4);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      gruGatesChunk(g + o, hB, hp + o, rh + o, rem);
    }
    g += gB; hp += hB; rh += hB;
  }
}

// @ts-ignore: decorator
@inline function gruCellChunk(g: usize, hB: usize, hp: usize, h: usize, n: i32): void {
  const gg = tanhv(ldN(g + 2 * hB, n));
  const hpv = ldN(hp, n);
  const hv = add(hpv, mul(ldN(g, n), sub(gg, hpv)));
  stN(g + 2 * hB, gg, n);
  stN(h, hv, n);
}

// @ts-ignore: decorator
@inline function gruCell8(g: usize, hB: usize, hp: usize, h: usize): void {
  const g0 = tanhv(v128.load(g + 2 * hB)), g1 = tanhv(v128.load(g + 2 * hB, 16));
  const p0 = v128.load(hp), p1 = v128.load(hp, 16);
  const h0 = add(p0, mul(v128.load(g), sub(g0, p0)));
  const h1 = add(p1, mul(v128.load(g, 16), sub(g1, p1)));
  v128.store(g + 2 * hB, g0); v128.store(g + 2 * hB, g1, 16);
  v128.store(h, h0); v128.store(h, h1, 16);
}

export function gruCellK(B: i32, H: i32, g: usize, hp: usize, h: usize): void {
  const hB = <usize>H << 2, gB = hB * 3;
  const H4 = H & ~3, H8 = H & ~7, rem = H - H4;
  for (let b = 0; b < B; b++) {
    let q = 0;
    for (; q < H8; q += 8) {
      const o = <usize>q << 2;
      gruCell8(g + o, hB, hp + o, h + o);
    }
    for (; q < H4; q += 4) {
      const o = <usize>q << 2;
      gruCellChunk(g + o, hB, hp + o, h + o, 4);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      gruCellChunk(g + o, hB, hp + o, h + o, rem);
    }
    g += gB; hp += hB; h += hB;
  }
}

// @ts-ignore: decorator
@inline function gruCellBwdChunk(g: usize, hB: usize, hp: usize, dyv: v128, w: usize, c: usize, n: i32): void {
  const dh = add(ldN(c, n), mul(dyv, ldN(w, n)));
  const z = ldN(g, n);
  const gg = ldN(g + 2 * hB, n);
  stN(g, mul(mul(dh, sub(gg, ldN(hp, n))), dsig(z)), n);
  stN(g + 2 * hB, mul(mul(dh, z), dtanh(gg)), n);
  stN(c, mul(dh, sub(one(), z)), n);
}

export function gruCellBackwardK(B: i32, H: i32, g: usize, hp: usize, dy: usize, w: usize, c: usize): void {
  const hB = <usize>H << 2, gB = hB * 3;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    const dyv = f32x4.splat(load<f32>(dy + (<usize>b << 2)));
    for (let q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      gruCellBwdChunk(g + o, hB, hp + o, dyv, w + o, c + o, 4);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      gruCellBwdChunk(g + o, hB, hp + o, dyv, w + o, c + o, rem);
    }
    g += gB; hp += hB; c += hB;
  }
}

export function gruResetBackwardK(B: i32, H: i32, g: usize, hp: usize, wk: usize, c: usize): void {
  const hB = <usize>H << 2, gB = hB * 3;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < H; q += 4) {
      const n = q < H4 ? 4 : rem;
      const o = <usize>q << 2;
      const r = ldN(g + hB + o, n);
      const d = ldN(wk + o, n);
      stN(g + hB + o, mul(mul(d, ldN(hp + o, n)), dsig(r)), n);
      stN(c + o, add(ldN(c + o, n), mul(d, r)), n);
    }
    g += gB; hp += hB; wk += hB; c += hB;
  }
}

export function gruTangentGatesK(B: i32, H: i32, g: usize, hp: usize, vp: usize, tp: usize, wk: usize): void {
  const hB = <usize>H << 2, gB = hB * 3;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < H; q += 4) {
      const n = q < H4 ? 4 : rem;
      const o = <usize>q << 2;
      stN(tp + o, mul(dsig(ldN(g + o, n)), ldN(tp + o, n)), n);
      const r = ldN(g + hB + o, n);
      const dr = mul(dsig(r), ldN(tp + hB + o, n));
      stN(wk + o, add(mul(dr, ldN(hp + o, n)), mul(r, ldN(vp + o, n))), n);
    }
    g += gB; tp += gB; hp += hB; vp += hB; wk += hB;
  }
}

export function gruTangentCellK(B: i32, H: i32, g: usize, hp: usize, vp: usize, tp: usize, v: usize): void {
  const hB = <usize>H << 2, gB = hB * 3;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < H; q += 4) {
      const n = q < H4 ? 4 : rem;
      const o = <usize>q << 2;
      const z = ldN(g + o, n);
      const gg = ldN(g + 2 * hB + o, n);
      const r = add(add(mul(sub(one(), z), ldN(vp + o, n)), mul(ldN(tp + o, n), sub(gg, ldN(hp + o, n)))),
        mul(mul(z, dtanh(gg)), ldN(tp + 2 * hB + o, n)));
      stN(v + o, r, n);
    }
    g += gB; tp += gB; hp += hB; vp += hB; v += hB;
  }
}

// ---------------------------------------------------------------------------
// LSTM: gate rows [B][4H], blocks i, f, o, g
// ---------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function lstmFwdChunk(g: usize, hB: usize, cp: usize, c: usize, tc: usize, h: usize, n: i32): void {
  const i = sigmoidv(ldN(g, n));
  const f = sigmoidv(ldN(g + hB, n));
  const o = sigmoidv(ldN(g + 2 * hB, n));
  const gg = tanhv(ldN(g + 3 * hB, n));
  const cv = add(mul(f, ldN(cp, n)), mul(i, gg));
  const t = tanhv(cv);
  stN(g, i, n);
  stN(g + hB, f, n);
  stN(g + 2 * hB, o, n);
  stN(g + 3 * hB, gg, n);
  stN(c, cv, n);
  stN(tc, t, n);
  stN(h, mul(o, t), n);
}

/** Two chunks (8 units) with every store after all the arithmetic (more independent work in flight). */
// @ts-ignore: decorator
@inline function lstmFwd8(g: usize, hB: usize, cp: usize, c: usize, tc: usize, h: usize): void {
  const i0 = sigmoidv(v128.load(g)), i1 = sigmoidv(v128.load(g, 16));
  const f0 = sigmoidv(v128.load(g + hB)), f1 = sigmoidv(v128.load(g + hB, 16));
  const o0 = sigmoidv(v128.load(g + 2 * hB)), o1 = sigmoidv(v128.load(g + 2 * hB, 16));
  const g0 = tanhv(v128.load(g + 3 * hB)), g1 = tanhv(v128.load(g + 3 * hB, 16));
  const c0 = add(mul(f0, v128.load(cp)), mul(i0, g0));
  const c1 = add(mul(f1, v128.load(cp, 16)), mul(i1, g1));
  const t0 = tanhv(c0), t1 = tanhv(c1);
  v128.store(g, i0); v128.store(g, i1, 16);
  v128.store(g + hB, f0); v128.store(g + hB, f1, 16);
  v128.store(g + 2 * hB, o0); v128.store(g + 2 * hB, o1, 16);
  v128.store(g + 3 * hB, g0); v128.store(g + 3 * hB, g1, 16);
  v128.store(c, c0); v128.store(c, c1, 16);
  v128.store(tc, t0); v128.store(tc, t1, 16);
  v128.store(h, mul(o0, t0)); v128.store(h, mul(o1, t1), 16);
}

export function lstmForwardK(B: i32, H: i32, g: usize, cp: usize, c: usize, tc: usize, h: usize): void {
  const hB = <usize>H << 2, gB = hB << 2;
  const H4 = H & ~3, rem = H - H4;
  const H8 = H & ~7;
  for (let b = 0; b < B; b++) {
    let q = 0;
    for (; q < H8; q += 8) {
      const o = <usize>q << 2;
      lstmFwd8(g + o, hB, cp + o, c + o, tc + o, h + o);
    }
    for (; q < H4; q += 4) {
      const o = <usize>q << 2;
      lstmFwdChunk(g + o, hB, cp + o, c + o, tc + o, h + o, 4);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      lstmFwdChunk(g + o, hB, cp + o, c + o, tc + o, h + o, rem);
    }
    g += gB; cp += hB; c += hB; tc += hB; h += hB;
  }
}

// @ts-ignore: decorator
@inline function lstmBwdChunk(g: usize, hB: usize, cp: usize, tc: usize, dyv: v128, w: usize, dhc: usize,
  dcc: usize, n: i32): void {
  const dh = add(ldN(dhc, n), mul(dyv, ldN(w, n)));
  const i = ldN(g, n);
  const f = ldN(g + hB, n);
  const o = ldN(g + 2 * hB, n);
  const gg = ldN(g + 3 * hB, n);
  const t = ldN(tc, n);
  const dc = add(ldN(dcc, n), mul(mul(dh, o), dtanh(t)));
  stN(g, mul(mul(dc, gg), dsig(i)), n);
  stN(g + hB, mul(mul(dc, ldN(cp, n)), dsig(f)), n);
  stN(g + 2 * hB, mul(mul(dh, t), dsig(o)), n);
  stN(g + 3 * hB, mul(mul(dc, i), dtanh(gg)), n);
  stN(dcc, mul(dc, f), n);
}

export function lstmBackwardK(B: i32, H: i32, g: usize, cp: usize, tc: usize, dy: usize, w: usize,
  dhc: usize, dcc: usize): void {
  const hB = <usize>H << 2, gB = hB << 2;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    const dyv = f32x4.splat(load<f32>(dy + (<usize>b << 2)));
    for (let q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      lstmBwdChunk(g + o, hB, cp + o, tc + o, dyv, w + o, dhc + o, dcc + o, 4);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      lstmBwdChunk(g + o, hB, cp + o, tc + o, dyv, w + o, dhc + o, dcc + o, rem);
    }
    g += gB; cp += hB; tc += hB; dhc += hB; dcc += hB;
  }
}

// @ts-ignore: decorator
@inline function lstmTanChunk(g: usize, hB: usize, cp: usize, tc: usize, tp: usize, dc: usize, v: usize, n: i32): void {
  const i = ldN(g, n);
  const f = ldN(g + hB, n);
  const o = ldN(g + 2 * hB, n);
  const gg = ldN(g + 3 * hB, n);
  const t = ldN(tc, n);
  const di = mul(dsig(i), ldN(tp, n));
  const df = mul(dsig(f), ldN(tp + hB, n));
  const dO = mul(dsig(o), ldN(tp + 2 * hB, n));
  const dg = mul(dtanh(gg), ldN(tp + 3 * hB, n));
  const dct = add(add(add(mul(df, ldN(cp, n)), mul(f, ldN(dc, n))), mul(di, gg)), mul(i, dg));
  stN(dc, dct, n);
  stN(v, add(mul(dO, t), mul(mul(o, dtanh(t)), dct)), n);
}

export function lstmTangentK(B: i32, H: i32, g: usize, cp: usize, tc: usize, tp: usize, dc: usize, v: usize): void {
  const hB = <usize>H << 2, gB = hB << 2;
  const H4 = H & ~3, rem = H - H4;
  for (let b = 0; b < B; b++) {
    for (let q = 0; q < H4; q += 4) {
      const o = <usize>q << 2;
      lstmTanChunk(g + o, hB, cp + o, tc + o, tp + o, dc + o, v + o, 4);
    }
    if (rem > 0) {
      const o = <usize>H4 << 2;
      lstmTanChunk(g + o, hB, cp + o, tc + o, tp + o, dc + o, v + o, rem);
    }
    g += gB; tp += gB; cp += hB; tc += hB; dc += hB; v += hB;
  }
}
