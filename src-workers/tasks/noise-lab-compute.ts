/**
 * The noise lab's computations (SCIENCE.md §5.1), behind the Api methods
 * sampleStable, estimateAlpha and noiseLabSweep: SαS draws by
 * Chambers–Mallows–Stuck and the engine's two tail-index estimators, on
 * arguments already checked by service-args.ts (sizes bounded there, so each
 * call is at most about a second of one core).
 *
 * Reproducibility: a draw (alpha, scale, n, seed) is `n` samples from
 * `new Rng(seed)`; the sweep draws each (alpha, n, seed) cell the same way, so
 * any cell can be reproduced in the lab (and cells sharing a seed use common
 * random numbers, which makes differences between α and n less noisy).
 *
 * The service runs these on the interactive pool's worker thread
 * (noise-lab-task.ts via interactive-pool.ts), never on the host's main
 * thread.
 */
import type { AlphaEstimateResult, NoiseLabSweepArg, NoiseLabSweepResult, NoiseLabSweepRow, StableDraw, StableDrawArg } from '../../src-shared/api';
import type { AlphaMethod } from '../../src-shared/config';
import { Rng } from '../engine/rng';
import { estimateAlpha } from '../engine/stats/estimators';
import { sampleStable } from '../engine/stats/stable';

export function drawStable(d: StableDrawArg): StableDraw {
  const samples = new Float64Array(d.n);
  sampleStable(new Rng(d.seed), d.alpha, d.scale, samples);
  return { alpha: d.alpha, scale: d.scale, n: d.n, seed: d.seed, samples };
}

export function estimate(samples: ArrayLike<number>, method: AlphaMethod, minSamples: number, seed: number): AlphaEstimateResult {
  const t0 = performance.now();
  const e = estimateAlpha(samples, method, { minSamples, seed });
  return { alpha: e.alpha, sigma: e.sigma, reliable: e.reliable, n: e.n, method: e.method, ms: performance.now() - t0 };
}

/** Rows ordered by alpha, then n, then method (as given). */
export function noiseLabSweep(arg: Required<NoiseLabSweepArg>): NoiseLabSweepResult {
  const t0 = performance.now();
  const { alphas, ns, seeds, methods, scale, minSamples } = arg;
  const nMax = Math.max(...ns);
  const buf = new Float64Array(nMax);
  const rows: NoiseLabSweepRow[] = [];
  // per (n, method): estimates over seeds
  const est = ns.map(() => methods.map(() => ({ a: new Float64Array(seeds.length), s: new Float64Array(seeds.length), rel: 0, fb: 0 })));
  for (const alpha of alphas) {
    for (let si = 0; si < seeds.length; si++) {
      for (let ni = 0; ni < ns.length; ni++) {
        const x = buf.subarray(0, ns[ni]!);
        sampleStable(new Rng(seeds[si]!), alpha, scale, x);
        for (let mi = 0; mi < methods.length; mi++) {
          const e = estimateAlpha(x, methods[mi]!, { minSamples, seed: seeds[si]! });
          const cell = est[ni]![mi]!;
          cell.a[si] = e.alpha;
          cell.s[si] = e.sigma;
          if (e.reliable) cell.rel++;
          if (e.method !== methods[mi]) cell.fb++;
        }
      }
    }
    for (let ni = 0; ni < ns.length; ni++) {
      for (let mi = 0; mi < methods.length; mi++) {
        const cell = est[ni]![mi]!;
        const k = seeds.length;
        let sum = 0, sumS = 0, se = 0;
        for (let i = 0; i < k; i++) {
          sum += cell.a[i]!;
          sumS += cell.s[i]!;
          se += (cell.a[i]! - alpha) ** 2;
        }
        const mean = sum / k;
        let ss = 0;
        for (let i = 0; i < k; i++) ss += (cell.a[i]! - mean) ** 2;
        rows.push({
          alpha, n: ns[ni]!, method: methods[mi]!, trials: k, mean_alpha_hat: mean, std: k > 1 ? Math.sqrt(ss / (k - 1)) : 0,
          rmse: Math.sqrt(se / k), mean_sigma_hat: sumS / k, reliable_fraction: cell.rel / k, fallbacks: cell.fb,
        });
        cell.rel = 0;
        cell.fb = 0;
      }
    }
  }
  return { rows, scale, ms: performance.now() - t0 };
}
