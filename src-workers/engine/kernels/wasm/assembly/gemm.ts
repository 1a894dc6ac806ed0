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

/** 4 rows × 8 columns: 8 accumulators, 2 B loads + 4 broadcasts per step. */
// @ts-ignore: decorator
@inline function k4x8(kc: i32, a: usize, sa: usize, sp: usize, b: usize, ldb: usize,
  c: usize, ldc: usize, acc: bool): void {
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
  const a1 = a + sa, a2 = a1 + sa, a3 = a2 + sa;
  let off: usize = 0;
  let bp = b;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let x = v128.load32_splat(a + off);
    c00 = madd(c00, x, b0); c01 = madd(c01, x, b1);
    x = v128.load32_splat(a1 + off);
    c10 = madd(c10, x, b0); c11 = madd(c11, x, b1);
    x = v128.load32_splat(a2 + off);
    c20 = madd(c20, x, b0); c21 = madd(c21, x, b1);
    x = v128.load32_splat(a3 + off);
    c30 = madd(c30, x, b0); c31 = madd(c31, x, b1);
    off += sp; bp += ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

/** 4 rows × 4 columns (column edge). */
// @ts-ignore: decorator
@inline function k4x4(kc: i32, a: usize, sa: usize, sp: usize, b: usize, ldb: usize,
  c: usize, ldc: usize, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0);
  if (acc) {
    c00 = v128.load(c); c10 = v128.load(c1); c20 = v128.load(c2); c30 = v128.load(c3);
  }
  const a1 = a + sa, a2 = a1 + sa, a3 = a2 + sa;
  let off: usize = 0;
  let bp = b;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    c00 = madd(c00, v128.load32_splat(a + off), b0);
    c10 = madd(c10, v128.load32_splat(a1 + off), b0);
    c20 = madd(c20, v128.load32_splat(a2 + off), b0);
    c30 = madd(c30, v128.load32_splat(a3 + off), b0);
    off += sp; bp += ldb;
  }
  v128.store(c, c00); v128.store(c1, c10); v128.store(c2, c20); v128.store(c3, c30);
}

/** 4 rows × 1 column (last 1..3 columns), scalar. */
// @ts-ignore: decorator
@inline function k4x1(kc: i32, a: usize, sa: usize, sp: usize, b: usize, ldb: usize,
  c: usize, ldc: usize, acc: bool): void {
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
  if (acc) {
    s0 = load<f32>(c); s1 = load<f32>(c1); s2 = load<f32>(c2); s3 = load<f32>(c3);
  }
  const a1 = a + sa, a2 = a1 + sa, a3 = a2 + sa;
  let off: usize = 0;
  let bp = b;
  for (let p = 0; p < kc; p++) {
    const y = load<f32>(bp);
    s0 += load<f32>(a + off) * y;
    s1 += load<f32>(a1 + off) * y;
    s2 += load<f32>(a2 + off) * y;
    s3 += load<f32>(a3 + off) * y;
    off += sp; bp += ldb;
  }
  store<f32>(c, s0); store<f32>(c1, s1); store<f32>(c2, s2); store<f32>(c3, s3);
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

/**
 * One k-block (kc ≥ 1) over the whole m×n C. Column panels of 8 outer, row
 * blocks of 4 inner, so the kc×8 B panel stays in L1 while Â is swept.
 */
export function block(m: i32, n: i32, kc: i32, a: usize, sa: usize, sp: usize,
  b: usize, ldb: usize, c: usize, ldc: usize, acc: bool): void {
  const m4 = m & ~3;
  const sa4 = sa << 2, ldc4 = ldc << 2;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const bj = b + (<usize>j << 2);
    let ai = a, ci = c + (<usize>j << 2);
    let i = 0;
    for (; i < m4; i += 4) {
      k4x8(kc, ai, sa, sp, bj, ldb, ci, ldc, acc);
      ai += sa4; ci += ldc4;
    }
    for (; i < m; i++) {
      k1x8(kc, ai, sp, bj, ldb, ci, acc);
      ai += sa; ci += ldc;
    }
  }
  if (j + 4 <= n) {
    const bj = b + (<usize>j << 2);
    let ai = a, ci = c + (<usize>j << 2);
    let i = 0;
    for (; i < m4; i += 4) {
      k4x4(kc, ai, sa, sp, bj, ldb, ci, ldc, acc);
      ai += sa4; ci += ldc4;
    }
    for (; i < m; i++) {
      k1x4(kc, ai, sp, bj, ldb, ci, acc);
      ai += sa; ci += ldc;
    }
    j += 4;
  }
  for (; j < n; j++) {
    const bj = b + (<usize>j << 2);
    let ai = a, ci = c + (<usize>j << 2);
    let i = 0;
    for (; i < m4; i += 4) {
      k4x1(kc, ai, sa, sp, bj, ldb, ci, ldc, acc);
      ai += sa4; ci += ldc4;
    }
    for (; i < m; i++) {
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
