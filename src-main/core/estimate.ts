/**
 * A rough cost estimate of an experiment before launch: floating-point
 * operation counts of the configuration, turned into seconds by constants
 * measured on the development machine. Honest and simple: expect the right
 * order of magnitude (within about a factor of two), not a schedule.
 *
 * Training (SCIENCE.md §1-§3). One forward step of one sequence costs
 *   F = 2·G·H·(D + H) + E·H  (+ 2·(D + H) for shared's scalar gate)
 * with G weight blocks per step (const 1, shared 1, diag 2, gru 3, lstm 4)
 * and E elementwise operations per unit (nonlinearities, LayerNorm, the
 * update). Backward through time costs about twice the forward pass, so an
 * epoch costs T·F·(3·Nseq_train + n_trainR² + n_val), with the forward-only
 * evaluation sets of §3: n_trainR² = min(1024, Nseq_train) and
 * n_val = min(1024, max(batch_size, 256)).
 *
 * Seconds per operation, per architecture, come from `npm run bench`
 * (bench-results/bench-cpu.json, 2026-11-28, Node 20.20, "Intel Xeon
 * Processor", WASM SIMD f32 kernels, one thread): the median wall time of one
 * `quick` epoch (Nseq_train 256, T 256, D 8, H 32, batch 32) was const
 * 0.266 s, shared 0.376 s, diag 0.298 s, gru 0.535 s, lstm 0.439 s; so the
 * estimate of a `quick` epoch is exactly those numbers.
 *
 * Diagnostics (§4-§5): forward with the recorded terms plus the tangent pass
 * (about 3 forward steps per (sequence, time)), then per lag the μ window
 * sums over (sequence, time, unit) and one ψ sample per (sequence, time)
 * into the bounded store. Per-lag constants measured on the same machine
 * (const, quick, lags 4 to 48, H 32 and 64): 2.2 ns per (sequence, time,
 * unit, lag) and 32 ns per (sequence, time, lag).
 *
 * Memory of one run (rough, for "will it fit"): the worker's baseline (V8
 * isolate and WASM arena, about 40 MB), the BPTT record of one mini-batch
 * (float32, K terms per (sequence, time, unit)), one diagnostic batch of 64
 * sequences with its recorded terms, tangents and float64 prefix sums, and
 * the per-lag sample stores (a reservoir of at most 100 000 float64 and the
 * first max(N_grid) samples, §5).
 */
import { expandRuns, lagGrid, type ArchName, type ExperimentConfig } from '../../src-shared/config';

/** weight blocks per step */
const GATE_BLOCKS: Record<ArchName, number> = { const: 1, shared: 1, diag: 2, gru: 3, lstm: 4 };
/** elementwise operations per unit and step (activation, LayerNorm, update) */
const ELEMENTWISE: Record<ArchName, number> = { const: 20, shared: 24, diag: 40, gru: 60, lstm: 70 };
/** float32 values recorded per (sequence, time, unit) for backward through time */
const RECORDED: Record<ArchName, number> = { const: 4, shared: 5, diag: 6, gru: 9, lstm: 10 };

/** `npm run bench`, quick preset: median wall seconds of one epoch (see above) */
export const QUICK_EPOCH_SECONDS: Readonly<Record<ArchName, number>> = Object.freeze({
  const: 0.266, shared: 0.376, diag: 0.298, gru: 0.535, lstm: 0.439,
});
/** the quick preset's shape, which QUICK_EPOCH_SECONDS was measured on */
export const QUICK_SHAPE = Object.freeze({ Nseq_train: 256, T: 256, D: 8, H: 32, batch_size: 32 });

/** seconds per (sequence, time, unit, lag) of the μ window sums */
export const LAG_UNIT_SECONDS = 2.2e-9;
/** seconds per (sequence, time, lag) of the ψ sample and its store */
export const LAG_SAMPLE_SECONDS = 32e-9;
/** baseline memory of a worker (bytes) */
export const WORKER_BASE_BYTES = 40 * 2 ** 20;
/** sequences per diagnostic batch (run-diagnostics DEFAULT_DIAG_BATCH) */
const DIAG_BATCH = 64;
const RESERVOIR = 100_000;

type Shape = Pick<ExperimentConfig, 'Nseq_train' | 'T' | 'D' | 'H' | 'batch_size'>;

/** Forward operations of one step of one sequence (see above). */
export function stepFlops(arch: ArchName, D: number, H: number): number {
  return 2 * GATE_BLOCKS[arch] * H * (D + H) + ELEMENTWISE[arch] * H + (arch === 'shared' ? 2 * (D + H) : 0) + 2 * H;
}

/** Operations of one training epoch: backward ≈ 2 forward, plus the forward-only R² sets. */
export function epochFlops(cfg: Shape, arch: ArchName): number {
  const nTrainEval = Math.min(1024, cfg.Nseq_train);
  const nVal = Math.min(1024, Math.max(cfg.batch_size, 256));
  return cfg.T * stepFlops(arch, cfg.D, cfg.H) * (3 * cfg.Nseq_train + nTrainEval + nVal);
}

/** Seconds per operation of an architecture, calibrated on the quick epoch. */
export function secondsPerFlop(arch: ArchName): number {
  return QUICK_EPOCH_SECONDS[arch] / epochFlops(QUICK_SHAPE, arch);
}

export interface RunCost {
  arch: ArchName;
  epochSeconds: number;
  trainSeconds: number;
  diagnosticsSeconds: number;
  totalSeconds: number;
  peakBytes: number;
}

/** Estimated cost of one run of `cfg` for `arch` (diagnostics included unless `diagnostics` is false). */
export function runCost(cfg: ExperimentConfig, arch: ArchName, diagnostics = true): RunCost {
  const spf = secondsPerFlop(arch);
  const epochSeconds = epochFlops(cfg, arch) * spf;
  const trainSeconds = epochSeconds * cfg.epochs;
  const lags = lagGrid(cfg);
  const seqTime = cfg.Nseq_diag * cfg.T;
  const diagnosticsSeconds = diagnostics
    ? seqTime * (3 * stepFlops(arch, cfg.D, cfg.H) * spf + lags.length * (cfg.H * LAG_UNIT_SECONDS + LAG_SAMPLE_SECONDS))
    : 0;
  return { arch, epochSeconds, trainSeconds, diagnosticsSeconds, totalSeconds: trainSeconds + diagnosticsSeconds, peakBytes: runPeakBytes(cfg, arch, diagnostics) };
}

/** Rough peak memory of one run in bytes (see above). */
export function runPeakBytes(cfg: ExperimentConfig, arch: ArchName, diagnostics = true): number {
  const { T, H, D } = cfg;
  const train = 4 * cfg.batch_size * T * (H * (RECORDED[arch] + 2) + D + 1);
  let diag = 0;
  if (diagnostics) {
    const B = Math.min(DIAG_BATCH, cfg.Nseq_diag);
    const lags = lagGrid(cfg);
    // recorded terms + tangent (float32), μ prefix sums of one sequence (float64), ŷ and δ
    const batch = 4 * B * T * (H * (RECORDED[arch] + 2) + D + 2) + 8 * 3 * T * H;
    const firstCap = cfg.N_grid.length > 0 ? Math.max(...cfg.N_grid) : 0;
    let stores = 0;
    for (const l of lags) {
      const n = cfg.Nseq_diag * Math.max(0, T - l);
      stores += 8 * (Math.min(RESERVOIR, n) + Math.min(firstCap, n) + H);
    }
    diag = batch + stores;
  }
  return Math.round(WORKER_BASE_BYTES + Math.max(train, diag));
}

/**
 * Wall seconds of independent jobs on `workers` lanes: longest first, each
 * to the lane that frees first (within 4/3 of the optimum, Graham 1969).
 */
export function makespan(seconds: readonly number[], workers: number): number {
  const lanes = new Array<number>(Math.max(1, Math.floor(workers))).fill(0);
  for (const s of [...seconds].sort((a, b) => b - a)) {
    let k = 0;
    for (let i = 1; i < lanes.length; i++) if (lanes[i]! < lanes[k]!) k = i;
    lanes[k]! += s;
  }
  return Math.max(...lanes);
}

export interface ExperimentEstimate {
  runs: number;
  cpuSeconds: number;
  wallSeconds: number;
  peakBytesPerRun: number;
  perRun: RunCost[];
}

export function estimateExperiment(cfg: ExperimentConfig, workers: number, diagnostics = true): ExperimentEstimate {
  const perRun = expandRuns(cfg).map((u) => runCost(cfg, u.arch, diagnostics));
  const secs = perRun.map((r) => r.totalSeconds);
  return {
    runs: perRun.length,
    cpuSeconds: secs.reduce((a, b) => a + b, 0),
    wallSeconds: makespan(secs, workers),
    peakBytesPerRun: Math.max(0, ...perRun.map((r) => r.peakBytes)),
    perRun,
  };
}
