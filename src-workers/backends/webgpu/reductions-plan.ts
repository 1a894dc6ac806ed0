/**
 * Host-side choice of the gemmTN kernel variant and of the row chunks
 * (reductions.ts), as pure functions of the shape, the operands' alignment
 * and the device limits, so they are testable without a GPU.
 *
 *  - min(m, n) ≤ 4 (column sums m = 1, dW_out n = 1, dW with D ≤ 4):
 *    the skinny kernel, threads along the wide side;
 *  - otherwise the register-tiled kernel: tile 16, 32 or 64 on each side
 *    (the smallest that covers m, resp. n, at most 64), 4×4 micro-tile per
 *    thread (so 256 threads for 64×64), 16-row blocks staged in workgroup
 *    memory, compensated sub-sums over 2 blocks (32 rows), vec4 loads of an
 *    operand whose offset and leading dimension are multiples of 4 floats
 *    (and whose buffer is a whole number of vec4);
 *  - the plain 16×16 kernel when asked for (tuning) or when a tuned tile
 *    does not fit the device's workgroup limits.
 * Chunks: enough workgroups to fill a large GPU (about TARGET_GROUPS, i.e.
 * ≥ 15 per SM on 132 SMs), each chunk ≥ MIN_CHUNK_ROWS rows and a multiple
 * of the sub-sum height, partials ≤ MAX_SCRATCH_FLOATS (64 MiB).
 */
import { checkTiledConfig, SIMPLE_TILE_SIZE as SIMPLE_TILE, BLOCK_ROWS, MAX_SUB_SUM_ROWS, SKINNY_THREADS, tiledThreads, tiledWorkgroupBytes, type SkinnyConfig, type TiledConfig } from './reductions-wgsl';

/** at most this many partial floats (64 MiB) */
export const MAX_SCRATCH_FLOATS = 16 * 1024 * 1024;
/** aim for about this many workgroups in the first pass */
export const TARGET_GROUPS = 2048;
/** rows per chunk at least */
export const MIN_CHUNK_ROWS = 256;
/** the skinny kernel: at least this many 8-row sub-sums per row lane and chunk */
const SKINNY_MIN_SUBS_PER_LANE = 4;

export interface PlanLimits {
  maxWorkgroupStorageBytes: number;
  maxInvocationsPerWorkgroup: number;
  maxWorkgroupsPerDimension: number;
}

export interface GemmShape {
  rows: number;
  m: number;
  n: number;
  aOff: number; lda: number;
  bOff: number; ldb: number;
  /** sizes of the bound buffers in floats (vec4 loads need a whole number of vec4) */
  aFloats: number;
  bFloats: number;
}

/** Overrides for benchmarks on a real GPU (reductions(ctx).setGemmTuning); absent fields keep the defaults. */
export interface GemmTuning {
  kernel?: 'auto' | 'tiled' | 'simple';
  tm?: number;
  tn?: number;
  rm?: number;
  rn?: number;
  kb?: number;
  /** blocks per compensated sub-sum (default: as many as fit in 32 rows) */
  sub?: number;
  /** false: never load as vec4 */
  vec4?: boolean;
  targetGroups?: number;
  minChunkRows?: number;
}

export interface Chunks { nChunks: number; chunk: number }

export type GemmPlan =
  | ({ kind: 'tiled'; cfg: TiledConfig; groups: [number, number] } & Chunks)
  | ({ kind: 'skinny'; cfg: SkinnyConfig; narrowIsA: boolean; groups: number } & Chunks)
  | ({ kind: 'simple'; groups: [number, number] } & Chunks);

/**
 * Split `rows` into chunks: about `target` workgroups over all chunks, ≥ minRows
 * rows each (a multiple of `align`), ≤ MAX_SCRATCH_FLOATS partial floats.
 */
export function chunking(
  rows: number, outputs: number, groupsPerChunk: number, limits: PlanLimits,
  target = TARGET_GROUPS, minRows = MIN_CHUNK_ROWS, align = 1,
): Chunks {
  const byRows = Math.ceil(rows / minRows);
  const byOccupancy = Math.max(1, Math.ceil(target / groupsPerChunk));
  const byScratch = Math.max(1, Math.floor(MAX_SCRATCH_FLOATS / Math.max(1, outputs)));
  const want = Math.max(1, Math.min(byRows, byOccupancy, byScratch, limits.maxWorkgroupsPerDimension));
  const chunk = Math.ceil(Math.ceil(rows / want) / align) * align;
  return { nChunks: Math.ceil(rows / chunk), chunk };
}

/** The smallest of 16, 32, 64 that covers `d` (64 when d > 64). */
function tileFor(d: number): number {
  return d <= 16 ? 16 : d <= 32 ? 32 : 64;
}

function vecOk(off: number, ld: number, floats: number): boolean {
  return off % 4 === 0 && ld % 4 === 0 && floats % 4 === 0;
}

function ceilPow2(x: number): number {
  let p = 1;
  while (p < x) p *= 2;
  return p;
}

/** The kernel and chunks for C (+)= Aᵀ·B (rows ≥ 1, m, n ≥ 1). */
export function planGemmTN(s: GemmShape, limits: PlanLimits, tuning: GemmTuning = {}): GemmPlan {
  const { rows, m, n } = s;
  const target = tuning.targetGroups ?? TARGET_GROUPS;
  const minRows = tuning.minChunkRows ?? MIN_CHUNK_ROWS;
  const kernel = tuning.kernel ?? 'auto';
  const simple = (): GemmPlan => {
    const groups: [number, number] = [Math.ceil(n / SIMPLE_TILE), Math.ceil(m / SIMPLE_TILE)];
    return { kind: 'simple', groups, ...chunking(rows, m * n, groups[0] * groups[1], limits, target, minRows, SIMPLE_TILE) };
  };
  if (kernel === 'simple') return simple();
  if (kernel === 'auto' && Math.min(m, n) <= 4) {
    const narrowIsA = m <= n;
    const wide = narrowIsA ? n : m;
    const wx = Math.min(SKINNY_THREADS, ceilPow2(wide));
    const wy = SKINNY_THREADS / wx;
    const groups = Math.ceil(wide / wx);
    const skinnyMinRows = Math.max(minRows, wy * 8 * SKINNY_MIN_SUBS_PER_LANE);
    return { kind: 'skinny', cfg: { wx, k: Math.min(m, n) }, narrowIsA, groups, ...chunking(rows, m * n, groups, limits, target, skinnyMinRows) };
  }
  const kb = tuning.kb ?? BLOCK_ROWS;
  const cfg: TiledConfig = {
    tm: tuning.tm ?? tileFor(m),
    tn: tuning.tn ?? tileFor(n),
    rm: tuning.rm ?? 4,
    rn: tuning.rn ?? 4,
    kb,
    sub: tuning.sub ?? Math.max(1, Math.floor(MAX_SUB_SUM_ROWS / kb)),
    vecA: tuning.vec4 !== false && vecOk(s.aOff, s.lda, s.aFloats),
    vecB: tuning.vec4 !== false && vecOk(s.bOff, s.ldb, s.bFloats),
  };
  checkTiledConfig(cfg);
  if (tiledThreads(cfg) > limits.maxInvocationsPerWorkgroup || tiledWorkgroupBytes(cfg) > limits.maxWorkgroupStorageBytes) return simple();
  const groups: [number, number] = [Math.ceil(n / cfg.tn), Math.ceil(m / cfg.tm)];
  return { kind: 'tiled', cfg, groups, ...chunking(rows, m * n, groups[0] * groups[1], limits, target, minRows, cfg.kb * cfg.sub) };
}

/** A short description of a plan, e.g. `tiled 64×64/4×4 k16×2 vec4 A,B · 128 chunks × 4096 rows`. */
export function describePlan(p: GemmPlan): string {
  const chunks = `${p.nChunks} chunk${p.nChunks === 1 ? '' : 's'} × ${p.chunk} rows`;
  switch (p.kind) {
    case 'tiled': {
      const c = p.cfg;
      const vec = [c.vecA ? 'A' : '', c.vecB ? 'B' : ''].filter(Boolean).join(',');
      return `tiled ${c.tm}×${c.tn}/${c.rm}×${c.rn} k${c.kb}×${c.sub}${vec ? ` vec4 ${vec}` : ' scalar'} · ${chunks}`;
    }
    case 'skinny':
      return `skinny ${p.cfg.k}-wide ${p.narrowIsA ? 'A' : 'B'}, ${p.cfg.wx}×${SKINNY_THREADS / p.cfg.wx} lanes · ${chunks}`;
    case 'simple':
      return `simple 16×16 · ${chunks}`;
  }
}
