/**
 * Test doubles of the GPU kernel tuning path (never used by the app):
 *
 *  - `fakeTunedGpu()`: a GPU backend whose "device" is a CPU model behind the
 *    asynchronous GPU-model contract (async-cpu-model.ts) that reports its
 *    kernel shape like a GPU model (`model.tuning`: the tuning asked, the
 *    rest FAKE_DEFAULT_SHAPE) and refuses a workgroup size above
 *    FAKE_MAX_WG, as a device refuses a shape beyond its limits; a model
 *    with FAKE_UNCOMPILABLE_S sequences per workgroup is made, but the
 *    device's next flush() reports its kernels' compilation error, as Dawn
 *    reports a pipeline the driver cannot build; it records the tuning each
 *    model was asked for and the models made. Adapter: FAKE_ADAPTER.
 *  - `fakeTuneGpu`: a tuner with gpu-tune.ts's signature that times nothing:
 *    four configurations per model shape (a progress line each, a few
 *    milliseconds apart), best FAKE_BEST(arch). Request markers choose
 *    other behaviours: H FAKE_H_REFUSED (every configuration of that shape
 *    refused: best null), reps FAKE_REPS_BUDGET (the budget spent after each
 *    shape's default: only the default timed, the rest counted in
 *    skippedForBudget, a last line at the planned count, complete false, as
 *    gpu-tune.ts does), reps FAKE_REPS_FAIL (throws after one line),
 *    FAKE_REPS_SOFTWARE (a software adapter: refused without allowSoftware,
 *    as gpu-tune.ts does), FAKE_REPS_SOFTWARE_UNCHECKED (a software
 *    adapter's output even without allowSoftware), FAKE_REPS_SLOW
 *    (40 ms per configuration), FAKE_REPS_ENDLESS (goes on until asked to
 *    stop, 30 s at most).
 */
import type { ArchName } from '../../../src-shared/config';
import type { KernelShape, TuneGpuOutput, TuneGpuRequest, TuneShapeResult } from '../../../src-shared/gpu-tuning';
import type { GpuContext, GpuModel, GpuTuning } from '../../backends/webgpu/types';
import type { TuneGpuHooks } from '../protocol';
import type { GpuBackendModule } from '../run-unit';
import { asyncCpuModel, type AsyncCpuModel } from './async-cpu-model';

/** the same adapter as test/fake-gpu-worker.mjs's */
export const FAKE_ADAPTER = 'Fake GPU (test double)';
export const FAKE_DEFAULT_SHAPE: KernelShape = Object.freeze({ workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 1 });
export const FAKE_MAX_WG = 256;
export const FAKE_UNCOMPILABLE_S = 3;

export const FAKE_H_REFUSED = 999;
export const FAKE_REPS_FAIL = 18;
export const FAKE_REPS_SOFTWARE = 19;
export const FAKE_REPS_SOFTWARE_UNCHECKED = 16;
export const FAKE_REPS_ENDLESS = 20;
export const FAKE_REPS_SLOW = 17;
export const FAKE_REPS_BUDGET = 15;
const CONFIGS = 4;

export function FAKE_BEST(arch: ArchName): KernelShape {
  return { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: arch === 'lstm' ? 4 : 'auto' };
}

const fakeContext = (fallback = false): GpuContext => ({
  device: {} as GpuContext['device'],
  adapter: { description: FAKE_ADAPTER, vendor: 'test', architecture: 'cpu', fallback },
  limits: {} as GpuContext['limits'],
});

/**
 * A fake GPU backend whose models report their kernel shape; `asked` lists
 * each model's requested tuning (undefined: the defaults), `made` the models.
 */
export function fakeTunedGpu(): {
  module: GpuBackendModule; asked: (GpuTuning | undefined)[]; made: AsyncCpuModel[];
} {
  const asked: (GpuTuning | undefined)[] = [];
  const made: AsyncCpuModel[] = [];
  /** the device's errors since the last flush */
  const errors: string[] = [];
  const module: GpuBackendModule = {
    acquireGpu: async () => fakeContext(),
    flush: async () => {
      if (errors.length > 0) throw new Error(`WebGPU error: ${errors.splice(0).join('\n')}`);
    },
    createGpuModel: (_ctx, shape, o) => {
      asked.push(o.tuning ? { ...o.tuning } : undefined);
      const wg = o.tuning?.workgroupSize ?? FAKE_DEFAULT_SHAPE.workgroupSize;
      if (wg > FAKE_MAX_WG) throw new RangeError(`workgroupSize ${wg} exceeds the device's ${FAKE_MAX_WG} invocations per workgroup`);
      const m = asyncCpuModel(shape, o, 'auto');
      made.push(m);
      if (o.tuning?.seqsPerWorkgroup === FAKE_UNCOMPILABLE_S) {
        errors.push(`kernel ${shape.arch}-forward-train failed to compile:\n  error at line 1:1: (fake) S ${FAKE_UNCOMPILABLE_S}`);
      }
      const tuning: KernelShape = {
        workgroupSize: wg,
        seqsPerWorkgroup: o.tuning?.seqsPerWorkgroup ?? FAKE_DEFAULT_SHAPE.seqsPerWorkgroup,
        unroll: o.tuning?.unroll ?? FAKE_DEFAULT_SHAPE.unroll,
      };
      return Object.assign(m, { tuning }) as unknown as GpuModel;
    },
  };
  return { module, asked, made };
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The progress line of configuration `done` of model `i`, its step time the one the result reports (the default's first, then the best's). */
function fakeLine(done: number, i: number, refused: boolean): string {
  return `configuration ${done}${done === 1 ? ' (default)' : ''}: ${refused ? 'refused (fake)' : `step ${(done === 1 ? 2 + i : 1 + i).toFixed(1)} ms`}`;
}

/** A tuner with gpu-tune.ts tuneGpu's signature and output; see the file comment for its markers. */
export async function fakeTuneGpu(req: TuneGpuRequest, hooks: TuneGpuHooks = {}): Promise<TuneGpuOutput> {
  if (!Array.isArray(req.models) || req.models.length === 0) throw new RangeError('models must be a non-empty list of model shapes (got [])');
  const fallback = req.reps === FAKE_REPS_SOFTWARE || req.reps === FAKE_REPS_SOFTWARE_UNCHECKED;
  if (req.reps === FAKE_REPS_SOFTWARE && req.allowSoftware !== true) throw new Error(`${FAKE_ADAPTER} is a software adapter: timings on it say nothing about a GPU`);
  const out: TuneGpuOutput = {
    adapter: FAKE_ADAPTER, fallback, batch: req.batch, T: req.T, results: [], skippedForBudget: 0, cancelled: false,
  };
  const endless = req.reps === FAKE_REPS_ENDLESS;
  const wait = req.reps === FAKE_REPS_SLOW ? 40 : endless ? 10 : 2;
  const until = performance.now() + 30_000;
  for (const [i, model] of req.models.entries()) {
    const refusedAll = model.H === FAKE_H_REFUSED;
    const r: TuneShapeResult = { model: { ...model }, best: null, stepMs: null, defaultStepMs: null, tried: 0, refused: 0 };
    out.results.push(r);
    const budgetCut = req.reps === FAKE_REPS_BUDGET;
    for (let done = 1; endless ? performance.now() < until : done <= (budgetCut ? 1 : CONFIGS); done++) {
      if (hooks.shouldStop?.()) {
        out.cancelled = true;
        r.complete = false;
        return out;
      }
      await pause(wait);
      if (refusedAll) r.refused++;
      else {
        r.tried++;
        // the default first, then the best (which a cancelled tuning may already have measured)
        r.defaultStepMs ??= 2 + i;
        if (done >= 2) {
          r.best = FAKE_BEST(model.arch);
          r.stepMs = 1 + i;
        }
      }
      hooks.progress?.({ arch: model.arch, done, planned: CONFIGS, message: fakeLine(done, i, refusedAll) });
      if (req.reps === FAKE_REPS_FAIL) throw new Error(`the fake tuner failed (reps ${FAKE_REPS_FAIL})`);
    }
    if (budgetCut) {
      // only the default timed: the budget was spent (its best is the default)
      out.skippedForBudget += CONFIGS - 1;
      if (!refusedAll) {
        r.best = { ...FAKE_DEFAULT_SHAPE };
        r.stepMs = r.defaultStepMs;
      }
      hooks.progress?.({ arch: model.arch, done: CONFIGS, planned: CONFIGS, message: `${CONFIGS - 1} configuration(s) not tried: the budget was spent` });
    }
    r.complete = !budgetCut;
  }
  return out;
}
