/**
 * The GPU tuning task (issue 6): on this thread's WebGPU device, sweep the
 * kernel shapes of each requested model shape (backends/webgpu/kernel-sweep.ts)
 * and return the fastest training step's shape of each, for the store to
 * remember per (adapter, arch, D, H, layernorm, batch) and the runs to apply
 * (src-shared/gpu-tuning.ts is the contract).
 *
 * A plain module: the pool's worker (run-unit.ts tuneGpuTask) imports it
 * dynamically, so CPU-only workers never load the GPU backend; threads 0
 * call it in-process.
 *
 *   const out = await tuneGpu(req, { progress: (p) => …, shouldStop: () => stopFlag });
 *
 * The request is validated first (RangeError naming the field and the
 * allowed range). A software adapter is refused unless req.allowSoftware
 * (tests): its timings say nothing about a GPU. The adapter is named as runs
 * name it (select.ts adapterLabel), so a tuning matches the runs of its
 * device. The budget is shared equally by the model shapes left; each shape's
 * default is timed even past it; a shape the budget cut short is not
 * complete, and its last progress line (at the planned count) says how many
 * configurations were not tried. The models are made for req.maxBatch
 * sequences (default req.batch: runs make theirs for train.ts modelMaxBatch)
 * and timed on mini-batches of req.batch. shouldStop is asked between configurations:
 * true ends the sweep, and what was measured is returned with cancelled.
 */
import { ARCH_NAMES } from '../../src-shared/config';
import {
  MAX_UNROLL, TUNE_GRID, TUNE_LIMITS, isUnrollSetting, kernelShapeLabel, type KernelShape, type TuneGpuOutput, type TuneGpuRequest, type TuneGrid,
  type TuneModelShape, type TuneShapeResult,
} from '../../src-shared/gpu-tuning';
import { adapterLabel } from '../backends/select';
import { askedLabel, sweepInputs, sweepKernelShapes, type SweepBatch, type TuneRow } from '../backends/webgpu/kernel-sweep';
import { acquireGpu } from '../backends/webgpu/runtime';
import type { GpuContext } from '../backends/webgpu/types';
import type { TuneGpuHooks } from './protocol';

export type { TuneGpuHooks } from './protocol';

export interface TuneGpuOptions {
  /** the device (default: the thread's, acquireGpu) */
  acquire?: () => Promise<GpuContext>;
  /** the clock the budget is read on (default performance.now; tests move it to spend the budget) */
  now?: () => number;
}

/** Largest sequences per workgroup and threads per workgroup a grid may list (isKernelShape's bounds). */
const MAX_GRID_SEQS = 1024;
const MAX_GRID_WG = 1024;

function show(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (v === undefined) return 'nothing';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function isInt(v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
}

function intField(name: string, v: unknown, min: number, max?: number): void {
  if (isInt(v, min, max)) return;
  const range = max === undefined ? (min === 1 ? 'a positive integer' : `an integer ≥ ${min}`) : `an integer from ${min} to ${max}`;
  throw new RangeError(`${name} must be ${range} (got ${show(v)})`);
}

function gridList(name: string, v: unknown, ok: (n: unknown) => boolean, what: string): void {
  if (!Array.isArray(v)) throw new RangeError(`grid.${name} must be a list of ${what} (got ${show(v)})`);
  const bad = v.findIndex((n) => !ok(n));
  if (bad >= 0) throw new RangeError(`grid.${name} must be a list of ${what} (got ${show(v[bad])})`);
}

function validateModel(m: unknown, i: number): void {
  const f = `models[${i}]`;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new RangeError(`${f} must be a model shape {arch, D, H, layernorm, constS} (got ${show(m)})`);
  const s = m as Record<string, unknown>;
  if (typeof s.arch !== 'string' || !(ARCH_NAMES as readonly string[]).includes(s.arch)) {
    throw new RangeError(`${f}.arch must be one of ${ARCH_NAMES.join(', ')} (got ${show(s.arch)})`);
  }
  // the config schema's bounds (src-shared/config.ts): D, H positive integers, const_s in (0, 1)
  intField(`${f}.D`, s.D, 1);
  intField(`${f}.H`, s.H, 1);
  if (typeof s.layernorm !== 'boolean') throw new RangeError(`${f}.layernorm must be true or false (got ${show(s.layernorm)})`);
  if (typeof s.constS !== 'number' || !(s.constS > 0 && s.constS < 1)) {
    throw new RangeError(`${f}.constS must be a number > 0 and < 1 (got ${show(s.constS)})`);
  }
}

/**
 * Check a tuning request, throwing a RangeError whose message names the field
 * and the allowed range, e.g. "budgetSeconds must be an integer from 10 to
 * 3600 (got 5)". Bounds: TUNE_LIMITS; model shapes, batch and T as the config
 * schema allows them (batch_size ≥ 1, T ≥ 2); maxBatch (optional) an integer
 * ≥ batch; grid lists of sequences per
 * workgroup (1…1024), powers of two (1…1024) and unroll settings ('auto' or 1…32).
 */
export function validateTuneRequest(req: unknown): asserts req is TuneGpuRequest {
  if (typeof req !== 'object' || req === null || Array.isArray(req)) throw new RangeError(`a tuning request must be an object (got ${show(req)})`);
  const r = req as Record<string, unknown>;
  if (!Array.isArray(r.models) || r.models.length === 0) {
    throw new RangeError(`models must be a non-empty list of model shapes {arch, D, H, layernorm, constS} (got ${show(r.models)})`);
  }
  r.models.forEach(validateModel);
  intField('batch', r.batch, 1);
  if (r.maxBatch !== undefined && !isInt(r.maxBatch, r.batch as number)) {
    throw new RangeError(`maxBatch must be an integer ≥ batch ${r.batch as number} (got ${show(r.maxBatch)})`);
  }
  intField('T', r.T, 2);
  intField('budgetSeconds', r.budgetSeconds, TUNE_LIMITS.budgetMin, TUNE_LIMITS.budgetMax);
  intField('reps', r.reps, TUNE_LIMITS.repsMin, TUNE_LIMITS.repsMax);
  if (r.allowSoftware !== undefined && typeof r.allowSoftware !== 'boolean') {
    throw new RangeError(`allowSoftware must be true or false (got ${show(r.allowSoftware)})`);
  }
  if (r.grid !== undefined) {
    if (typeof r.grid !== 'object' || r.grid === null || Array.isArray(r.grid)) {
      throw new RangeError(`grid must be an object {seqs, wg, unroll} (got ${show(r.grid)})`);
    }
    const g = r.grid as Record<string, unknown>;
    gridList('seqs', g.seqs, (n) => isInt(n, 1, MAX_GRID_SEQS), `integers from 1 to ${MAX_GRID_SEQS}`);
    gridList('wg', g.wg, (n) => isInt(n, 1, MAX_GRID_WG) && (n & (n - 1)) === 0, `powers of two from 1 to ${MAX_GRID_WG}`);
    gridList('unroll', g.unroll, isUnrollSetting, `'auto' or integers from 1 to ${MAX_UNROLL}`);
  }
}

/** "S 2, WG 128, unroll auto: step 12.3 ms", "…: refused (reason)" */
function rowMessage(row: TuneRow): string {
  const what = row.used ? `${kernelShapeLabel(row.used)}${row.asked === 'default' ? ' (default)' : ''}` : askedLabel(row.asked);
  if (row.used === null) return `${what}: refused (${row.refused ?? 'unknown reason'})`;
  if (row.train_step_s === null) return `${what}: failed (${(row.refused ?? 'unknown reason').split('\n')[0]})`;
  return `${what}: step ${(row.train_step_s * 1000).toFixed(1)} ms`;
}

/**
 * One model shape's result. complete: every configuration of the grid was
 * tried — false when a stop request or the spent budget (skipped > 0) cut
 * the sweep short, so the best is over part of the grid only.
 */
function shapeResult(
  model: TuneModelShape, rows: TuneRow[], best: TuneRow | null, defaultRow: TuneRow | null, complete: boolean,
): TuneShapeResult {
  const shape: KernelShape | null = best?.used ? { ...best.used } : null;
  return {
    model: { ...model },
    best: shape,
    stepMs: best?.train_step_s != null ? best.train_step_s * 1000 : null,
    defaultStepMs: defaultRow?.train_step_s != null ? defaultRow.train_step_s * 1000 : null,
    tried: rows.filter((r) => r.train_step_s !== null).length,
    refused: rows.filter((r) => r.refused !== undefined).length,
    complete,
  };
}

/**
 * Tune the kernel shapes of `req.models` on this thread's device (file
 * comment). Throws a RangeError for an invalid request, an Error when no
 * device is available or the adapter is a software one (without
 * allowSoftware); configurations the device refuses are counted, never thrown.
 */
export async function tuneGpu(req: TuneGpuRequest, hooks: TuneGpuHooks = {}, opts: TuneGpuOptions = {}): Promise<TuneGpuOutput> {
  validateTuneRequest(req);
  const ctx = await (opts.acquire ?? acquireGpu)();
  const adapter = adapterLabel(ctx.adapter);
  if (ctx.adapter.fallback && req.allowSoftware !== true) {
    throw new Error(`${adapter} is a software adapter: timings on it say nothing about a GPU, so it is not tuned (tune where a hardware WebGPU adapter is available)`);
  }
  const grid: TuneGrid = req.grid ?? TUNE_GRID;
  const out: TuneGpuOutput = {
    adapter, fallback: ctx.adapter.fallback, batch: req.batch, T: req.T, results: [], skippedForBudget: 0, cancelled: false,
  };
  // one input batch per distinct D (the kernels' cost does not depend on the values)
  const inputs = new Map<number, SweepBatch>();
  const now = opts.now ?? (() => performance.now());
  const maxBatch = req.maxBatch ?? req.batch;
  const deadline = now() + req.budgetSeconds * 1000;
  for (const [i, model] of req.models.entries()) {
    if (hooks.shouldStop?.()) { out.cancelled = true; break; }
    let batch = inputs.get(model.D);
    if (!batch) {
      batch = sweepInputs(model.D, req.batch, req.T);
      inputs.set(model.D, batch);
    }
    // each model shape gets an equal share of what is left, so the last ones are swept too
    const start = now();
    const modelDeadline = start + Math.max(0, deadline - start) / (req.models.length - i);
    const progress = (message: string, done: number, planned: number): void => hooks.progress?.({ arch: model.arch, done, planned, message });
    let lastDone = 0;
    const r = await sweepKernelShapes(ctx, { arch: model.arch, D: model.D, H: model.H, layernorm: model.layernorm, constS: model.constS }, batch, {
      grid, reps: req.reps, profile: false, deadline: modelDeadline, maxBatch, now,
      ...(hooks.shouldStop ? { shouldStop: () => hooks.shouldStop!() } : {}),
      onRow: (row, done, planned) => { lastDone = done; progress(rowMessage(row), done, planned); },
      onDuplicate: (asked, used, done, planned) => {
        lastDone = done;
        progress(`${askedLabel(asked)}: same shape as timed above (${kernelShapeLabel(used)})`, done, planned);
      },
    });
    out.skippedForBudget += r.skipped;
    // a sweep that ended short of its planned count (not stopped): a last line at the planned count says why
    if (!r.stopped && r.skipped > 0) progress(`${r.skipped} configuration(s) not tried: the budget was spent`, r.planned, r.planned);
    else if (!r.stopped && lastDone < r.planned) {
      progress(`${r.planned - lastDone} configuration(s) not tried: no (S, WG) with the default unroll could be timed`, r.planned, r.planned);
    }
    if (r.rows.length > 0 || !r.stopped) out.results.push(shapeResult(model, r.rows, r.best, r.defaultRow, !r.stopped && r.skipped === 0));
    if (r.stopped) { out.cancelled = true; break; }
  }
  return out;
}
