/**
 * The interactive pool's task (interactive-pool.ts): one noise-lab Api call,
 * `{ method, arg }` on arguments the service has already checked, dispatched
 * to noise-lab-compute.ts. Runs on a worker thread so the host's main thread
 * stays free for IPC, HTTP and progress events while it computes.
 *
 * Everything crossing the thread boundary is structured-cloneable; the
 * samples of a draw come back by transfer (no copy).
 */
import { move, transferableSymbol, valueSymbol } from 'piscina';
import type { AlphaEstimateResult, NoiseLabSweepArg, NoiseLabSweepResult, StableDraw, StableDrawArg } from '../../src-shared/api';
import type { AlphaMethod } from '../../src-shared/config';
import { drawStable, estimate, noiseLabSweep } from './noise-lab-compute';

/** estimateAlpha's checked argument: samples, or a draw to regenerate (one of them) */
export interface NoiseLabEstimateArg {
  samples?: ArrayLike<number>;
  draw?: StableDrawArg;
  method: AlphaMethod;
  minSamples: number;
  seed: number;
}

export interface NoiseLabArgs {
  sampleStable: StableDrawArg;
  estimateAlpha: NoiseLabEstimateArg;
  noiseLabSweep: Required<NoiseLabSweepArg>;
}

export interface NoiseLabResults {
  sampleStable: StableDraw;
  estimateAlpha: AlphaEstimateResult;
  noiseLabSweep: NoiseLabSweepResult;
}

export type NoiseLabMethod = keyof NoiseLabArgs;

export type NoiseLabRequest = { [M in NoiseLabMethod]: { method: M; arg: NoiseLabArgs[M] } }[NoiseLabMethod];

export const NOISE_LAB_METHODS: readonly NoiseLabMethod[] = ['sampleStable', 'estimateAlpha', 'noiseLabSweep'];

/** The computation of one request, on this thread. */
export function runNoiseLab(req: NoiseLabRequest): NoiseLabResults[NoiseLabMethod] {
  switch (req.method) {
    case 'sampleStable':
      return drawStable(req.arg);
    case 'estimateAlpha': {
      const a = req.arg;
      const samples = a.samples ?? drawStable(a.draw!).samples;
      return estimate(samples, a.method, a.minSamples, a.seed);
    }
    case 'noiseLabSweep':
      return noiseLabSweep(req.arg);
    default:
      throw new TypeError(`noise lab: unknown method ${String((req as { method?: unknown }).method)}`);
  }
}

/** piscina entry point: the result, with a draw's sample buffer transferred */
export default function noiseLabTask(req: NoiseLabRequest): unknown {
  const out = runNoiseLab(req);
  if (req.method === 'sampleStable') {
    const draw = out as StableDraw;
    return move({ [transferableSymbol]: draw.samples.buffer, [valueSymbol]: draw } as never);
  }
  return out;
}
