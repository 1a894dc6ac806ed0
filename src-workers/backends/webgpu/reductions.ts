/**
 * Weight-gradient reductions over all T·B rows at once (DESIGN.md §3: "weight
 * gradients as one large reduction at the end rather than per step").
 *
 *   gemmTN:  C[cOff + i·ldc + j] (+)= Σ_{r<rows} A[aOff + r·lda + i] · B[bOff + r·ldb + j]
 *            (i < m, j < n): dW = Xᵀ·dPre, dU = Hprevᵀ·dPre; with lda = 0 and
 *            A a buffer holding 1.0 at aOff, m = 1, it is the column sums (db).
 *   colDots: C[cOff + j] (+)= Σ_r A[aOff + r·lda + j] · B[bOff + r·ldb + j]
 *            (the LayerNorm gain gradient Σ d ⊙ x̂).
 *
 * Two passes: the rows are split into ≤ nChunks chunks, each workgroup sums
 * one 16×16 output tile over one chunk (tiles of A and B staged in workgroup
 * memory, compensated (Neumaier) accumulation of 16-term sub-sums), then one
 * thread per output adds the chunk partials in order. WGSL has no float64, so
 * this is how the reduction keeps float64-like accuracy in float32: the
 * rounding error grows with the number of 16-row sub-sums only through the
 * compensation's second-order term.
 */
/// <reference types="@webgpu/types" />
import { createStorage, Kernel } from './runtime';
import type { GpuContext } from './types';

const TILE = 16;
/** at most this many partial floats (64 MiB) */
const MAX_SCRATCH_FLOATS = 16 * 1024 * 1024;
/** aim for about this many workgroups in the first pass */
const TARGET_GROUPS = 4096;
/** rows per chunk at least */
const MIN_CHUNK_ROWS = 256;

const NEUMAIER = /* wgsl */ `
fn neumaier(sum: ptr<function, f32>, comp: ptr<function, f32>, x: f32) {
  let t = *sum + x;
  if (abs(*sum) >= abs(x)) { *comp = *comp + ((*sum - t) + x); } else { *comp = *comp + ((x - t) + *sum); }
  *sum = t;
}
`;

const GEMM_TN_PARTIAL = /* wgsl */ `
struct U { rows: u32, m: u32, n: u32, aOff: u32, lda: u32, bOff: u32, ldb: u32, chunk: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
@group(0) @binding(2) var<storage, read_write> P: array<f32>;
@group(0) @binding(3) var<uniform> u: U;
var<workgroup> tA: array<f32, ${TILE * TILE}>;
var<workgroup> tB: array<f32, ${TILE * TILE}>;
${NEUMAIER}
@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) g: vec3<u32>) {
  let i0 = g.y * ${TILE}u;
  let j0 = g.x * ${TILE}u;
  let r0 = g.z * u.chunk;
  let r1 = min(r0 + u.chunk, u.rows);
  var sum = 0.0;
  var comp = 0.0;
  for (var r = r0; r < r1; r = r + ${TILE}u) {
    let rr = r + l.y;
    var a = 0.0;
    var b = 0.0;
    if (rr < r1 && i0 + l.x < u.m) { a = A[u.aOff + rr * u.lda + i0 + l.x]; }
    if (rr < r1 && j0 + l.x < u.n) { b = B[u.bOff + rr * u.ldb + j0 + l.x]; }
    tA[l.y * ${TILE}u + l.x] = a;
    tB[l.y * ${TILE}u + l.x] = b;
    workgroupBarrier();
    var s = 0.0;
    for (var k = 0u; k < ${TILE}u; k = k + 1u) {
      s = s + tA[k * ${TILE}u + l.y] * tB[k * ${TILE}u + l.x];
    }
    workgroupBarrier();
    neumaier(&sum, &comp, s);
  }
  let i = i0 + l.y;
  let j = j0 + l.x;
  if (i < u.m && j < u.n) { P[(g.z * u.m + i) * u.n + j] = sum + comp; }
}
`;

const COL_DOTS_PARTIAL = /* wgsl */ `
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

const FINISH = /* wgsl */ `
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

export interface GemmTNArgs {
  rows: number;
  m: number;
  n: number;
  a: GPUBuffer; aOff: number; lda: number;
  b: GPUBuffer; bOff: number; ldb: number;
  c: GPUBuffer; cOff: number; ldc: number;
  /** add into C instead of overwriting it */
  accumulate?: boolean;
}

export interface ColDotsArgs {
  rows: number;
  n: number;
  a: GPUBuffer; aOff: number; lda: number;
  b: GPUBuffer; bOff: number; ldb: number;
  c: GPUBuffer; cOff: number;
  accumulate?: boolean;
}

/** The reduction kernels of one device, with their scratch (one per context: reductions(ctx)). */
export class Reductions {
  private readonly gemmPartial: Kernel;
  private readonly dotsPartial: Kernel;
  private readonly finish: Kernel;
  private scratch: GPUBuffer;
  private scratchFloats: number;
  /** outgrown scratch buffers: still referenced by encoders not yet submitted, destroyed with the rest */
  private readonly retired: GPUBuffer[] = [];
  /** a buffer holding 1.0 at float 0 (gemmTN with lda 0 → column sums) */
  readonly ones: GPUBuffer;

  constructor(private readonly ctx: GpuContext) {
    this.gemmPartial = new Kernel(ctx, 'reduce-gemmTN-partial', GEMM_TN_PARTIAL, 3, { readOnly: [0, 1] });
    this.dotsPartial = new Kernel(ctx, 'reduce-coldots-partial', COL_DOTS_PARTIAL, 3, { readOnly: [0, 1] });
    this.finish = new Kernel(ctx, 'reduce-finish', FINISH, 2, { readOnly: [0] });
    this.scratchFloats = 1024;
    this.scratch = createStorage(ctx, this.scratchFloats, 'reduction partials');
    this.ones = createStorage(ctx, 4, 'ones');
    ctx.device.queue.writeBuffer(this.ones, 0, new Float32Array([1, 1, 1, 1]));
  }

  private scratchFor(floats: number): GPUBuffer {
    if (floats > this.scratchFloats) {
      this.retired.push(this.scratch);
      this.scratchFloats = Math.max(floats, this.scratchFloats * 2);
      this.scratch = createStorage(this.ctx, this.scratchFloats, 'reduction partials');
    }
    return this.scratch;
  }

  private chunks(rows: number, outputs: number, groupsPerChunk: number): { nChunks: number; chunk: number } {
    const byRows = Math.ceil(rows / MIN_CHUNK_ROWS);
    const byOccupancy = Math.max(1, Math.ceil(TARGET_GROUPS / groupsPerChunk));
    const byScratch = Math.max(1, Math.floor(MAX_SCRATCH_FLOATS / Math.max(1, outputs)));
    const nChunks = Math.max(1, Math.min(byRows, byOccupancy, byScratch, this.ctx.limits.maxWorkgroupsPerDimension));
    const chunk = Math.ceil(rows / nChunks);
    return { nChunks: Math.ceil(rows / chunk), chunk };
  }

  private encodeFinish(enc: GPUCommandEncoder, m: number, n: number, nChunks: number, c: GPUBuffer, cOff: number, ldc: number, acc: boolean): void {
    const groups = Math.ceil((m * n) / 64);
    const gx = Math.min(groups, this.ctx.limits.maxWorkgroupsPerDimension);
    const gy = Math.ceil(groups / gx);
    this.finish.encode(enc, [gx, gy], [this.scratch, c], [m, n, nChunks, cOff, ldc, acc ? 1 : 0, 0, 0]);
  }

  /** C (+)= Aᵀ·B over `rows` rows (see the file comment). rows = 0 writes zeros (or leaves C when accumulating). */
  gemmTN(enc: GPUCommandEncoder, g: GemmTNArgs): void {
    const { rows, m, n } = g;
    if (m < 1 || n < 1) return;
    const tiles = Math.ceil(m / TILE) * Math.ceil(n / TILE);
    const { nChunks, chunk } = rows > 0 ? this.chunks(rows, m * n, tiles) : { nChunks: 0, chunk: 1 };
    const scratch = this.scratchFor(Math.max(1, nChunks) * m * n);
    if (nChunks > 0) {
      this.gemmPartial.encode(enc, [Math.ceil(n / TILE), Math.ceil(m / TILE), nChunks], [g.a, g.b, scratch],
        [rows, m, n, g.aOff, g.lda, g.bOff, g.ldb, chunk]);
    }
    this.encodeFinish(enc, m, n, nChunks, g.c, g.cOff, g.ldc, g.accumulate ?? false);
  }

  /** C[j] (+)= Σ_r A[r][j]·B[r][j] (see the file comment). */
  colDots(enc: GPUCommandEncoder, g: ColDotsArgs): void {
    const { rows, n } = g;
    if (n < 1) return;
    const { nChunks, chunk } = rows > 0 ? this.chunks(rows, n, Math.ceil(n / 64)) : { nChunks: 0, chunk: 1 };
    const scratch = this.scratchFor(Math.max(1, nChunks) * n);
    if (nChunks > 0) {
      this.dotsPartial.encode(enc, [Math.ceil(n / 64), nChunks], [g.a, g.b, scratch], [rows, n, g.aOff, g.lda, g.bOff, g.ldb, chunk, 0]);
    }
    this.encodeFinish(enc, 1, n, nChunks, g.c, g.cOff, n, g.accumulate ?? false);
  }

  /** C[cOff + j] (+)= Σ_r A[aOff + r·lda + j] (column sums: the bias gradients). */
  colSums(enc: GPUCommandEncoder, g: { rows: number; n: number; a: GPUBuffer; aOff: number; lda: number; c: GPUBuffer; cOff: number; accumulate?: boolean }): void {
    this.gemmTN(enc, {
      rows: g.rows, m: 1, n: g.n, a: this.ones, aOff: 0, lda: 0, b: g.a, bOff: g.aOff, ldb: g.lda,
      c: g.c, cOff: g.cOff, ldc: g.n, ...(g.accumulate !== undefined ? { accumulate: g.accumulate } : {}),
    });
  }

  dispose(): void {
    for (const b of this.retired.splice(0)) b.destroy();
    this.scratch.destroy();
    this.ones.destroy();
  }
}

const perDevice = new WeakMap<GPUDevice, Reductions>();

/** The context's Reductions (created on first use). */
export function reductions(ctx: GpuContext): Reductions {
  let r = perDevice.get(ctx.device);
  if (!r) {
    r = new Reductions(ctx);
    perDevice.set(ctx.device, r);
  }
  return r;
}
