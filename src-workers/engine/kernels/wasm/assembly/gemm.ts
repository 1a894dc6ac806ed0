// Register-blocked f32x4 GEMM core (see ../README.md).
//
// One core computes   C[m×n] = (acc ? C : 0) + Â[m×k] · B[k×n]   where
//   Â(i,p) is the f32 at  a + i·sa + p·sp   (byte strides: NN has sa = lda·4,
//          sp = 4; TN has sa = 4, sp = lda·4),
//   B(p,j) is the f32 at  b + p·ldb + j·4  (rows contiguous),
//   C(i,j) is the f32 at  c + i·ldc + j·4.
//
// Every C element is accumulated as c ← fl(c + fl(a·b)) in increasing p, in
// every code path (vector micro-kernels, scalar edges, k-blocks). The result
// is therefore independent of the blocking, the offsets and the alignment:
// exactly the naive float32 sequential sum (bit-for-bit reproducible).

/**
 * k-blocks: the Â and B panels of kc rows stay in L1/L2 while C is swept.
 * Measured best (scripts/bench-kernels.ts): 64 for the long TN reductions and
 * the transposed NT blocks, 256 for NN (k is D or H there: one block).
 */
export const KC_NN: i32 = 256;
export const KC_TN: i32 = 64;
export const KC_NT: i32 = 64;

// @ts-ignore: decorator
@inline function madd(c: v128, a: v128, b: v128): v128 {
  return f32x4.add(c, f32x4.mul(a, b));
}

/** 1 row × 8 columns (row edge). */
// @ts-ignore: decorator
@inline function k1x8(kc: i32, a: usize, sp: usize, b: usize, ldb: usize, c: usize, acc: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  if (acc) { c00 = v128.load(c); c01 = v128.load(c, 16); }
  let off: usize = 0;
  let bp = b;
  for (let p = 0; p < kc; p++) {
    const x = v128.load32_splat(a + off);
    c00 = madd(c00, x, v128.load(bp));
    c01 = madd(c01, x, v128.load(bp, 16));
    off += sp; bp += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
}

/** 1 row × 4 columns. */
// @ts-ignore: decorator
@inline function k1x4(kc: i32, a: usize, sp: usize, b: usize, ldb: usize, c: usize, acc: bool): void {
  let c00 = f32x4.splat(0);
  if (acc) c00 = v128.load(c);
  let off: usize = 0;
  let bp = b;
  for (let p = 0; p < kc; p++) {
    c00 = madd(c00, v128.load32_splat(a + off), v128.load(bp));
    off += sp; bp += ldb;
  }
  v128.store(c, c00);
}

/** 1 row × 1 column, scalar. */
// @ts-ignore: decorator
@inline function k1x1(kc: i32, a: usize, sp: usize, b: usize, ldb: usize, c: usize, acc: bool): void {
  let s: f32 = acc ? load<f32>(c) : 0;
  let off: usize = 0;
  let bp = b;
  for (let p = 0; p < kc; p++) {
    s += load<f32>(a + off) * load<f32>(bp);
    off += sp; bp += ldb;
  }
  store<f32>(c, s);
}

// ---------------------------------------------------------------------------
// Packed Â panels. The 4-row micro-kernels read Â from a packed copy laid out
// [row block][p][4]: the four values of step p are 16 contiguous bytes, read
// with four load32_splat at immediate offsets from one pointer that advances
// by 16 (no per-row address arithmetic in the inner loop, which V8 would
// otherwise spend registers and instructions on). Packing is O(m·kc) against
// the O(m·n·kc) product; every C element still sums its terms in increasing p.
// ---------------------------------------------------------------------------

let packBuf: usize = 0;
let packFloats: i32 = 0;

/** Scratch for the packed Â panels (owned by the JS side; at least 1024 floats). */
export function setPackScratch(ptr: usize, floats: i32): void {
  packBuf = ptr;
  packFloats = floats;
}

/** Pack rows [0, m4) (m4 a multiple of 4) of Â over kc steps into dst as [m4/4][kc][4]. */
function packA(m4: i32, kc: i32, a: usize, sa: usize, sp: usize, dst: usize): void {
  const blk = <usize>kc << 4;
  if (sp == 4) {
    // rows contiguous in p (NN): 4×4 transposes
    const kc4 = kc & ~3;
    for (let i = 0; i < m4; i += 4) {
      const r0 = a + <usize>i * sa, r1 = r0 + sa, r2 = r1 + sa, r3 = r2 + sa;
      let p = 0;
      for (; p < kc4; p += 4) {
        const o = <usize>p << 2;
        const v0 = v128.load(r0 + o), v1 = v128.load(r1 + o), v2 = v128.load(r2 + o), v3 = v128.load(r3 + o);
        const lo01 = i32x4.shuffle(v0, v1, 0, 4, 1, 5), lo23 = i32x4.shuffle(v2, v3, 0, 4, 1, 5);
        const hi01 = i32x4.shuffle(v0, v1, 2, 6, 3, 7), hi23 = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
        const d = dst + (<usize>p << 4);
        v128.store(d, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
        v128.store(d, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7), 16);
        v128.store(d, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5), 32);
        v128.store(d, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7), 48);
      }
      for (; p < kc; p++) {
        const o = <usize>p << 2;
        const d = dst + (<usize>p << 4);
        store<f32>(d, load<f32>(r0 + o));
        store<f32>(d, load<f32>(r1 + o), 4);
        store<f32>(d, load<f32>(r2 + o), 8);
        store<f32>(d, load<f32>(r3 + o), 12);
      }
      dst += blk;
    }
  } else if (sa == 4) {
    // the 4 rows of a step contiguous (TN): one vector per step
    for (let i = 0; i < m4; i += 4) {
      let s = a + (<usize>i << 2);
      let d = dst;
      for (let p = 0; p < kc; p++) {
        v128.store(d, v128.load(s));
        s += sp; d += 16;
      }
      dst += blk;
    }
  } else {
    for (let i = 0; i < m4; i += 4) {
      const r = a + <usize>i * sa;
      let d = dst;
      for (let p = 0; p < kc; p++) {
        const o = <usize>p * sp;
        store<f32>(d, load<f32>(r + o));
        store<f32>(d, load<f32>(r + sa + o), 4);
        store<f32>(d, load<f32>(r + 2 * sa + o), 8);
        store<f32>(d, load<f32>(r + 3 * sa + o), 12);
        d += 16;
      }
      dst += blk;
    }
  }
}

/** 4 rows (packed) × 8 columns: 8 accumulators, 2 B loads + 4 broadcasts per step. */
// @ts-ignore: decorator
@inline function p4x8(kc: i32, ap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (acc) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  }
  const end = ap + (<usize>kc << 4);
  let bp = b;
  while (ap < end) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let x = v128.load32_splat(ap);
    c00 = madd(c00, x, b0); c01 = madd(c01, x, b1);
    x = v128.load32_splat(ap, 4);
    c10 = madd(c10, x, b0); c11 = madd(c11, x, b1);
    x = v128.load32_splat(ap, 8);
    c20 = madd(c20, x, b0); c21 = madd(c21, x, b1);
    x = v128.load32_splat(ap, 12);
    c30 = madd(c30, x, b0); c31 = madd(c31, x, b1);
    ap += 16; bp += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

/** 4 rows (packed) × 4 columns (column edge). */
// @ts-ignore: decorator
@inline function p4x4(kc: i32, ap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0);
  if (acc) {
    c00 = v128.load(c); c10 = v128.load(c1); c20 = v128.load(c2); c30 = v128.load(c3);
  }
  const end = ap + (<usize>kc << 4);
  let bp = b;
  while (ap < end) {
    const b0 = v128.load(bp);
    c00 = madd(c00, v128.load32_splat(ap), b0);
    c10 = madd(c10, v128.load32_splat(ap, 4), b0);
    c20 = madd(c20, v128.load32_splat(ap, 8), b0);
    c30 = madd(c30, v128.load32_splat(ap, 12), b0);
    ap += 16; bp += ldb;
  }
  v128.store(c, c00); v128.store(c1, c10); v128.store(c2, c20); v128.store(c3, c30);
}

/** 4 rows (packed) × 1 column (last 1..3 columns): the four rows in the lanes of one vector. */
// @ts-ignore: decorator
@inline function p4x1(kc: i32, ap: usize, b: usize, ldb: usize, c: usize, ldc: usize, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let s = f32x4.splat(0);
  if (acc) {
    s = f32x4.replace_lane(s, 0, load<f32>(c));
    s = f32x4.replace_lane(s, 1, load<f32>(c1));
    s = f32x4.replace_lane(s, 2, load<f32>(c2));
    s = f32x4.replace_lane(s, 3, load<f32>(c3));
  }
  const end = ap + (<usize>kc << 4);
  let bp = b;
  while (ap < end) {
    s = madd(s, v128.load(ap), v128.load32_splat(bp));
    ap += 16; bp += ldb;
  }
  store<f32>(c, f32x4.extract_lane(s, 0)); store<f32>(c1, f32x4.extract_lane(s, 1));
  store<f32>(c2, f32x4.extract_lane(s, 2)); store<f32>(c3, f32x4.extract_lane(s, 3));
}

/**
 * One k-block (kc ≥ 1) over the whole m×n C. Rows in groups whose packed Â
 * panel fits the pack scratch; within a group, column panels of 8 outer and
 * row blocks of 4 inner, so the kc×8 B panel stays in L1 while Â is swept.
 * The last m mod 4 rows use the unpacked 1-row kernels.
 */
export function block(m: i32, n: i32, kc: i32, a: usize, sa: usize, sp: usize,
  b: usize, ldb: usize, c: usize, ldc: usize, acc: bool): void {
  const m4 = m & ~3;
  const ldc4 = ldc << 2;
  const blk = <usize>kc << 4;
  const groupRows = max(4, (packFloats / kc) & ~3);
  for (let g0 = 0; g0 < m4; g0 += groupRows) {
    const gm = min(groupRows, m4 - g0);
    packA(gm, kc, a + <usize>g0 * sa, sa, sp, packBuf);
    const cg = c + <usize>g0 * ldc;
    let j = 0;
    for (; j + 8 <= n; j += 8) {
      const bj = b + (<usize>j << 2);
      let ap = packBuf, ci = cg + (<usize>j << 2);
      for (let i = 0; i < gm; i += 4) {
        p4x8(kc, ap, bj, ldb, ci, ldc, acc);
        ap += blk; ci += ldc4;
      }
    }
    if (j + 4 <= n) {
      const bj = b + (<usize>j << 2);
      let ap = packBuf, ci = cg + (<usize>j << 2);
      for (let i = 0; i < gm; i += 4) {
        p4x4(kc, ap, bj, ldb, ci, ldc, acc);
        ap += blk; ci += ldc4;
      }
      j += 4;
    }
    for (; j < n; j++) {
      const bj = b + (<usize>j << 2);
      let ap = packBuf, ci = cg + (<usize>j << 2);
      for (let i = 0; i < gm; i += 4) {
        p4x1(kc, ap, bj, ldb, ci, ldc, acc);
        ap += blk; ci += ldc4;
      }
    }
  }
  if (m4 == m) return;
  // row edge
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const bj = b + (<usize>j << 2);
    let ai = a + <usize>m4 * sa, ci = c + <usize>m4 * ldc + (<usize>j << 2);
    for (let i = m4; i < m; i++) {
      k1x8(kc, ai, sp, bj, ldb, ci, acc);
      ai += sa; ci += ldc;
    }
  }
  if (j + 4 <= n) {
    const bj = b + (<usize>j << 2);
    let ai = a + <usize>m4 * sa, ci = c + <usize>m4 * ldc + (<usize>j << 2);
    for (let i = m4; i < m; i++) {
      k1x4(kc, ai, sp, bj, ldb, ci, acc);
      ai += sa; ci += ldc;
    }
    j += 4;
  }
  for (; j < n; j++) {
    const bj = b + (<usize>j << 2);
    let ai = a + <usize>m4 * sa, ci = c + <usize>m4 * ldc + (<usize>j << 2);
    for (let i = m4; i < m; i++) {
      k1x1(kc, ai, sp, bj, ldb, ci, acc);
      ai += sa; ci += ldc;
    }
  }
}

/** C[m×n] = 0 (beta = 0 with k = 0). */
export function zero(m: i32, n: i32, c: usize, ldc: usize): void {
  const bytes = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    memory.fill(c, 0, bytes);
    c += ldc;
  }
}

/**
 * C = beta·C + Â·B over all of k, in k-blocks of kcMax (C carries the partial
 * sums between blocks, which keeps the per-element summation order).
 */
export function gemmCore(m: i32, n: i32, k: i32, a: usize, sa: usize, sp: usize,
  b: usize, ldb: usize, c: usize, ldc: usize, beta: i32, kcMax: i32): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (beta == 0) zero(m, n, c, ldc);
    return;
  }
  for (let p0 = 0; p0 < k; p0 += kcMax) {
    const kc = min(kcMax, k - p0);
    block(m, n, kc, a + <usize>p0 * sp, sa, sp, b + <usize>p0 * ldb, ldb, c, ldc, beta != 0 || p0 > 0);
  }
}

/**
 * dst[p][j] = src[j][p] for j < rows, p < cols  (src row stride lds bytes,
 * dst row stride ldd bytes), with 4×4 f32x4 shuffle transposes.
 */
export function transpose(rows: i32, cols: i32, src: usize, lds: usize, dst: usize, ldd: usize): void {
  const r4 = rows & ~3, c4 = cols & ~3;
  let j = 0;
  for (; j < r4; j += 4) {
    const s0 = src + <usize>j * lds, s1 = s0 + lds, s2 = s1 + lds, s3 = s2 + lds;
    const dj = dst + (<usize>j << 2);
    let p = 0;
    for (; p < c4; p += 4) {
      const o = <usize>p << 2;
      const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
      const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const d0 = dj + <usize>p * ldd;
      v128.store(d0, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
      v128.store(d0 + ldd, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7));
      v128.store(d0 + 2 * ldd, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5));
      v128.store(d0 + 3 * ldd, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7));
    }
    for (; p < cols; p++) {
      const o = <usize>p << 2;
      const d = dj + <usize>p * ldd;
      store<f32>(d, load<f32>(s0 + o));
      store<f32>(d, load<f32>(s1 + o), 4);
      store<f32>(d, load<f32>(s2 + o), 8);
      store<f32>(d, load<f32>(s3 + o), 12);
    }
  }
  for (; j < rows; j++) {
    const s = src + <usize>j * lds;
    const dj = dst + (<usize>j << 2);
    for (let p = 0; p < cols; p++) store<f32>(dj + <usize>p * ldd, load<f32>(s + (<usize>p << 2)));
  }
}
