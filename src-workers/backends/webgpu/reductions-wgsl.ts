/**
 * WGSL of the weight-gradient reductions (reductions.ts), generated per
 * variant. Every kernel writes PARTIAL sums, one m×n block per chunk of rows
 * (P[(chunk·m + i)·n + j]); FINISH adds them in chunk order. Accuracy: each
 * thread sums at most K = 32 products in plain float32 (a "sub-sum"), adds
 * the sub-sums with Neumaier compensation, and the partials are added the
 * same way, so the error is that of the K-term sub-sums plus a few
 * roundings, independent of the number of rows (see reductions.ts).
 * (K trades accuracy for speed: a compensated addition costs about 8
 * instructions per output, against K FMAs.)
 *
 *  - tiledGemmWgsl: register-tiled Aᵀ·B: a TM×TN output tile per workgroup,
 *    each thread an RM×RN micro-tile held in named vec4 registers (fully
 *    unrolled, constant-indexed), A/B staged in workgroup memory as vec4,
 *    KB rows at a time (one sub-sum spans `sub` such blocks), loaded from
 *    global memory as vec4 when the operand is 16-byte aligned, else as four
 *    masked scalars; the next block's loads are issued before the current
 *    block's arithmetic (register prefetch).
 *  - skinnyGemmWgsl: one side of width ≤ 4 (column sums, dW_out, D ≤ 4):
 *    threads along the wide side (WX lanes, coalesced) × WY row lanes,
 *    each with ≤ 4 accumulators; the WY lanes' totals are added in lane order.
 *  - SIMPLE_GEMM_WGSL: the plain 16×16 tile, one output per thread (fallback,
 *    and for comparisons on a real GPU).
 *  - COL_DOTS_PARTIAL, FINISH.
 */

/** Neumaier's compensated addition (scalar and vec4). */
export const NEUMAIER = /* wgsl */ `
fn neumaier(sum: ptr<function, f32>, comp: ptr<function, f32>, x: f32) {
  let t = *sum + x;
  if (abs(*sum) >= abs(x)) { *comp = *comp + ((*sum - t) + x); } else { *comp = *comp + ((x - t) + *sum); }
  *sum = t;
}
fn neumaier4(sum: ptr<function, vec4<f32>>, comp: ptr<function, vec4<f32>>, x: vec4<f32>) {
  let s = *sum;
  let t = s + x;
  *comp = *comp + select((x - t) + s, (s - t) + x, abs(s) >= abs(x));
  *sum = t;
}
`;

/** Rows per plain float32 sub-sum at most (the accuracy argument's K). */
export const MAX_SUB_SUM_ROWS = 32;
/** Rows of A and B staged per block by default. */
export const BLOCK_ROWS = 16;

export interface TiledConfig {
  /** output tile rows (i, from A's columns) and columns (j, from B's columns), multiples of rm / rn */
  tm: number;
  tn: number;
  /** micro-tile per thread: rm rows × rn columns, each 4 or 8 */
  rm: number;
  rn: number;
  /** rows of A and B staged per block */
  kb: number;
  /** blocks per compensated sub-sum (kb·sub ≤ MAX_SUB_SUM_ROWS) */
  sub: number;
  /** load A / B as vec4 (the host checked 16-byte alignment of offset, leading dimension and buffer) */
  vecA: boolean;
  vecB: boolean;
}

export function tiledThreads(c: TiledConfig): number {
  return (c.tm / c.rm) * (c.tn / c.rn);
}

export function tiledWorkgroupBytes(c: TiledConfig): number {
  return c.kb * (c.tm + c.tn) * 4;
}

/** Throws a RangeError for a configuration the generator cannot express. */
export function checkTiledConfig(c: TiledConfig): void {
  const ok = (c.rm === 4 || c.rm === 8) && (c.rn === 4 || c.rn === 8)
    && Number.isInteger(c.tm / c.rm) && c.tm >= c.rm && Number.isInteger(c.tn / c.rn) && c.tn >= c.rn
    && Number.isInteger(c.kb) && c.kb >= 1 && Number.isInteger(c.sub) && c.sub >= 1 && c.kb * c.sub <= MAX_SUB_SUM_ROWS;
  if (!ok) throw new RangeError(`gemmTN tiled kernel: unsupported tile ${c.tm}×${c.tn}, micro-tile ${c.rm}×${c.rn}, block ${c.kb}×${c.sub}`);
}

/**
 * A tile loader: thread `lid` fills its share of the kb·cols4 vec4 slots of
 * the workgroup array s<name> (slot e = row·cols4 + column group) in two
 * steps: fetch(base) loads rows base … base+kb−1 into registers pf<name><q>,
 * store writes them to workgroup memory. Rows ≥ r1 and columns ≥ lim read
 * as zero (and are not loaded).
 */
function tileLoader(p: {
  name: 'A' | 'B'; vec: boolean; cols4: number; kb: number; threads: number; lim: string; off: string; ld: string; col0: string;
}): { decl: string[]; fetch: (base: string) => string[]; store: string[] } {
  const count = p.kb * p.cols4;
  const iters = Math.ceil(count / p.threads);
  const slot = (q: number): string => `lid + ${q * p.threads}u`;
  const partial = (q: number): boolean => (q + 1) * p.threads > count;
  const qs = Array.from({ length: iters }, (_, q) => q);
  const decl = qs.map((q) => `  var pf${p.name}${q} = vec4<f32>(0.0);`);
  const fetchOne = (q: number, base: string): string[] => {
    const v = `pf${p.name}${q}`;
    const lines = [
      partial(q) ? `    if (${slot(q)} < ${count}u) {` : '    {',
      `      let e = ${slot(q)};`,
      `      let row = ${base} + e / ${p.cols4}u;`,
      `      let col = ${p.col0} + 4u * (e % ${p.cols4}u);`,
      `      ${v} = vec4<f32>(0.0);`,
    ];
    if (p.vec) {
      // one 16-byte load (offset and leading dimension are multiples of 4), masked beyond lim
      lines.push(
        `      if (row < r1 && col < ${p.lim}) {`,
        `        ${v} = select(vec4<f32>(0.0), ${p.name}[(${p.off} + row * ${p.ld} + col) >> 2u], vec4<u32>(col) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(${p.lim}));`,
        '      }',
      );
    } else {
      lines.push('      if (row < r1) {', `        let at = ${p.off} + row * ${p.ld} + col;`);
      ['x', 'y', 'z', 'w'].forEach((comp, c) => lines.push(`        if (col + ${c}u < ${p.lim}) { ${v}.${comp} = ${p.name}[at + ${c}u]; }`));
      lines.push('      }');
    }
    lines.push('    }');
    return lines;
  };
  const store = qs.map((q) => (partial(q)
    ? `    if (${slot(q)} < ${count}u) { s${p.name}[${slot(q)}] = pf${p.name}${q}; }`
    : `    s${p.name}[${slot(q)}] = pf${p.name}${q};`));
  return { decl, fetch: (base) => qs.flatMap((q) => fetchOne(q, base)), store };
}

/**
 * P[(chunk·m + i)·n + j] = Σ_{r in chunk} A[aOff + r·lda + i]·B[bOff + r·ldb + j].
 * Dispatch (⌈n/tn⌉, ⌈m/tm⌉, nChunks); uniforms U below.
 */
export function tiledGemmWgsl(c: TiledConfig): string {
  checkTiledConfig(c);
  const threads = tiledThreads(c);
  const tm4 = c.tm / 4, tn4 = c.tn / 4;
  const ty4 = c.tm / c.rm, tx4 = c.tn / c.rn; // threads along i and j
  const P = c.rm / 4, Q = c.rn / 4; // vec4 rows-groups and column groups per thread
  const acc: string[] = [];
  for (let p = 0; p < P; p++) for (let rr = 0; rr < 4; rr++) for (let q = 0; q < Q; q++) acc.push(`${p}_${rr}_${q}`);
  const ldA = tileLoader({ name: 'A', vec: c.vecA, cols4: tm4, kb: c.kb, threads, lim: 'u.m', off: 'u.aOff', ld: 'u.lda', col0: 'i0' });
  const ldB = tileLoader({ name: 'B', vec: c.vecB, cols4: tn4, kb: c.kb, threads, lim: 'u.n', off: 'u.bOff', ld: 'u.ldb', col0: 'j0' });
  const comps = ['x', 'y', 'z', 'w'];
  const compute: string[] = [];
  for (let k = 0; k < c.kb; k++) {
    compute.push('    {');
    for (let p = 0; p < P; p++) compute.push(`      let a${p} = sA[${k * tm4}u + ty + ${p * ty4}u];`);
    for (let q = 0; q < Q; q++) compute.push(`      let b${q} = sB[${k * tn4}u + tx + ${q * tx4}u];`);
    for (let p = 0; p < P; p++) for (let rr = 0; rr < 4; rr++) for (let q = 0; q < Q; q++) {
      const s = `s${p}_${rr}_${q}`;
      compute.push(`      ${s} = fma(vec4<f32>(a${p}.${comps[rr]}), b${q}, ${s});`);
    }
    compute.push('    }');
  }
  const blocks: string[] = [];
  for (let b = 0; b < c.sub; b++) {
    blocks.push(
      `    // block ${b}: rows r + ${b * c.kb} …`,
      ...ldA.store, ...ldB.store,
      '    workgroupBarrier();',
      '    {',
      '    // the next block\'s loads are in flight during this block\'s arithmetic',
      `    let rn = r + ${(b + 1) * c.kb}u;`,
      ...ldA.fetch('rn'), ...ldB.fetch('rn'),
      '    }',
      ...compute,
      '    workgroupBarrier();',
    );
  }
  const writes: string[] = [];
  for (let p = 0; p < P; p++) for (let rr = 0; rr < 4; rr++) {
    writes.push(`  { let i = i0 + 4u * (ty + ${p * ty4}u) + ${rr}u;`);
    writes.push('    if (i < u.m) {');
    writes.push('      let row = (g.z * u.m + i) * u.n;');
    for (let q = 0; q < Q; q++) {
      writes.push(`      { let j = j0 + 4u * (tx + ${q * tx4}u); let v = sum${p}_${rr}_${q} + cmp${p}_${rr}_${q};`);
      for (let cc = 0; cc < 4; cc++) writes.push(`        if (j + ${cc}u < u.n) { P[row + j + ${cc}u] = v.${comps[cc]}; }`);
      writes.push('      }');
    }
    writes.push('    }');
    writes.push('  }');
  }
  return /* wgsl */ `
struct U { rows: u32, m: u32, n: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, chunk: u32 }
@group(0) @binding(0) var<storage, read> A: array<${c.vecA ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(1) var<storage, read> B: array<${c.vecB ? 'vec4<f32>' : 'f32'}>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
// KB rows of the A tile (tm/4 vec4 per row) and of the B tile (tn/4 vec4 per row)
var<workgroup> sA: array<vec4<f32>, ${c.kb * tm4}>;
var<workgroup> sB: array<vec4<f32>, ${c.kb * tn4}>;
${NEUMAIER}
@compute @workgroup_size(${threads})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) g: vec3<u32>) {
  let tx = lid % ${tx4}u;
  let ty = lid / ${tx4}u;
  let i0 = g.y * ${c.tm}u;
  let j0 = g.x * ${c.tn}u;
  let r0 = g.z * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
${acc.map((a) => `  var s${a} = vec4<f32>(0.0);\n  var sum${a} = vec4<f32>(0.0);\n  var cmp${a} = vec4<f32>(0.0);`).join('\n')}
${ldA.decl.join('\n')}
${ldB.decl.join('\n')}
  // prologue: the first block into registers
${ldA.fetch('r0').join('\n')}
${ldB.fetch('r0').join('\n')}
  // one compensated sub-sum per iteration: ${c.sub} block(s) of ${c.kb} rows (rows ≥ r1 are zeros)
  for (var r = r0; r < r1; r = r + ${c.kb * c.sub}u) {
${acc.map((a) => `    s${a} = vec4<f32>(0.0);`).join('\n')}
${blocks.join('\n')}
${acc.map((a) => `    neumaier4(&sum${a}, &cmp${a}, s${a});`).join('\n')}
  }
${writes.join('\n')}
}
`;
}

export interface SkinnyConfig {
  /** threads along the wide side (power of two ≤ 64); 64/wx row lanes */
  wx: number;
  /** width of the narrow side, 1 … 4 */
  k: number;
}

export const SKINNY_THREADS = 64;
/** rows per plain sub-sum in the skinny kernel */
const SKINNY_SUB = 8;

/**
 * Narrow side N (k ≤ 4 columns) against wide side W (w columns):
 * P[chunk·pChunk + kk·pk + x·pw] = Σ_{r in chunk} N[nOff + r·ldn + kk]·W[wOff + r·ldw + x].
 * Dispatch (⌈w/wx⌉, nChunks).
 */
export function skinnyGemmWgsl(c: SkinnyConfig): string {
  const { wx, k } = c;
  if (!(k >= 1 && k <= 4 && Number.isInteger(k)) || !(wx >= 1 && wx <= SKINNY_THREADS && (wx & (wx - 1)) === 0)) {
    throw new RangeError(`gemmTN skinny kernel: unsupported lanes ${wx} or width ${k}`);
  }
  const wy = SKINNY_THREADS / wx;
  const ks = Array.from({ length: k }, (_, i) => i);
  const lanes = wy > 1 ? /* wgsl */ `
  // lane totals, added in lane (= row) order by lane 0
${ks.map((kk) => `  red[${kk * SKINNY_THREADS}u + lid] = sum${kk} + cmp${kk};`).join('\n')}
  workgroupBarrier();
  if (y == 0u && w < u.w) {
${ks.map((kk) => `    sum${kk} = 0.0; cmp${kk} = 0.0;`).join('\n')}
    for (var l = 0u; l < ${wy}u; l = l + 1u) {
${ks.map((kk) => `      neumaier(&sum${kk}, &cmp${kk}, red[${kk * SKINNY_THREADS}u + l * ${wx}u + x]);`).join('\n')}
    }
${ks.map((kk) => `    P[u.pChunk * g.y + ${kk}u * u.pk + w * u.pw] = sum${kk} + cmp${kk};`).join('\n')}
  }` : /* wgsl */ `
  if (w < u.w) {
${ks.map((kk) => `    P[u.pChunk * g.y + ${kk}u * u.pk + w * u.pw] = sum${kk} + cmp${kk};`).join('\n')}
  }`;
  return /* wgsl */ `
struct U { rows: u32, w: u32, wOff: u32, ldw: u32, nOff: u32, ldn: u32, chunk: u32, pChunk: u32, pk: u32, pw: u32 }
@group(0) @binding(0) var<storage, read> N: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${wy > 1 ? `var<workgroup> red: array<f32, ${k * SKINNY_THREADS}>;` : ''}
${NEUMAIER}
@compute @workgroup_size(${SKINNY_THREADS})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) g: vec3<u32>) {
  let x = lid % ${wx}u;
  let y = lid / ${wx}u;
  let w = g.x * ${wx}u + x;
  let r0 = g.y * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
${ks.map((kk) => `  var sum${kk} = 0.0;\n  var cmp${kk} = 0.0;`).join('\n')}
  if (w < u.w) {
    var r = r0 + y;
    // ${SKINNY_SUB} rows (r, r + ${wy}, …) per plain sub-sum
    for (; r + ${(SKINNY_SUB - 1) * wy}u < r1; r = r + ${SKINNY_SUB * wy}u) {
${ks.map((kk) => `      var s${kk} = 0.0;`).join('\n')}
      for (var t = 0u; t < ${SKINNY_SUB}u; t = t + 1u) {
        let rr = r + t * ${wy}u;
        let v = W[u.wOff + rr * u.ldw + w];
        let nb = u.nOff + rr * u.ldn;
${ks.map((kk) => `        s${kk} = fma(N[nb + ${kk}u], v, s${kk});`).join('\n')}
      }
${ks.map((kk) => `      neumaier(&sum${kk}, &cmp${kk}, s${kk});`).join('\n')}
    }
    for (; r < r1; r = r + ${wy}u) {
      let v = W[u.wOff + r * u.ldw + w];
      let nb = u.nOff + r * u.ldn;
${ks.map((kk) => `      neumaier(&sum${kk}, &cmp${kk}, N[nb + ${kk}u] * v);`).join('\n')}
    }
  }
${lanes}
}
`;
}

const SIMPLE_TILE = 16;
export const SIMPLE_TILE_SIZE = SIMPLE_TILE;

/** The plain kernel: 16×16 tile, one output per thread; dispatch (⌈n/16⌉, ⌈m/16⌉, nChunks), same U as tiled. */
export const SIMPLE_GEMM_WGSL = /* wgsl */ `
struct U { rows: u32, m: u32, n: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, chunk: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> tA: array<f32, ${SIMPLE_TILE * SIMPLE_TILE}>;
var<workgroup> tB: array<f32, ${SIMPLE_TILE * SIMPLE_TILE}>;
${NEUMAIER}
@compute @workgroup_size(${SIMPLE_TILE}, ${SIMPLE_TILE})
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) g: vec3<u32>) {
  let i0 = g.y * ${SIMPLE_TILE}u;
  let j0 = g.x * ${SIMPLE_TILE}u;
  let r0 = g.z * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
  var sum = 0.0;
  var comp = 0.0;
  for (var r = r0; r < r1; r = r + ${SIMPLE_TILE}u) {
    let rr = r + l.y;
    var a = 0.0;
    var b = 0.0;
    if (rr < r1 && i0 + l.x < u.m) { a = A[u.aOff + rr * u.lda + i0 + l.x]; }
    if (rr < r1 && j0 + l.x < u.n) { b = B[u.bOff + rr * u.ldb + j0 + l.x]; }
    tA[l.y * ${SIMPLE_TILE}u + l.x] = a;
    tB[l.y * ${SIMPLE_TILE}u + l.x] = b;
    workgroupBarrier();
    var s = 0.0;
    for (var k = 0u; k < ${SIMPLE_TILE}u; k = k + 1u) {
      s = s + tA[k * ${SIMPLE_TILE}u + l.y] * tB[k * ${SIMPLE_TILE}u + l.x];
    }
    workgroupBarrier();
    neumaier(&sum, &comp, s);
  }
  let i = i0 + l.y;
  let j = j0 + l.x;
  if (i < u.m && j < u.n) { P[(g.z * u.m + i) * u.n + j] = sum + comp; }
}
`;

/** colDots partials: P[chunk·n + j] = Σ_{r in chunk} A[aOff + r·lda + j]·B[bOff + r·ldb + j]; dispatch (⌈n/64⌉, nChunks). */
export const COL_DOTS_PARTIAL = /* wgsl */ `
struct U { rows: u32, n: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, chunk: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
${NEUMAIER}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) g: vec3<u32>) {
  let j = gid.x;
  if (j >= u.n) { return; }
  let r0 = g.y * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
  var sum = 0.0;
  var comp = 0.0;
  var r = r0;
  for (; r + 8u <= r1; r = r + 8u) {
    var s = 0.0;
    for (var k = 0u; k < 8u; k = k + 1u) {
      s = s + A[u.aOff + (r + k) * u.lda + j] * B[u.bOff + (r + k) * u.ldb + j];
    }
    neumaier(&sum, &comp, s);
  }
  for (; r < r1; r = r + 1u) {
    neumaier(&sum, &comp, A[u.aOff + r * u.lda + j] * B[u.bOff + r * u.ldb + j]);
  }
  P[g.y * u.n + j] = sum + comp;
}
`;

/** C[cOff + i·ldc + j] (+)= Σ_chunks P[(c·m + i)·n + j], in chunk order, compensated; one thread per output. */
export const FINISH = /* wgsl */ `
struct U { m: u32, n: u32, nChunks: u32, cOff: u32, ldc: u32, accumulate: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
${NEUMAIER}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) ng: vec3<u32>) {
  let idx = gid.x + gid.y * ng.x * 64u;
  if (idx >= u.m * u.n) { return; }
  let i = idx / u.n;
  let j = idx % u.n;
  let at = u.cOff + i * u.ldc + j;
  var sum = 0.0;
  var comp = 0.0;
  if (u.accumulate != 0u) { sum = C[at]; }
  for (var c = 0u; c < u.nChunks; c = c + 1u) { neumaier(&sum, &comp, P[(c * u.m + i) * u.n + j]); }
  C[at] = sum + comp;
}
`;
