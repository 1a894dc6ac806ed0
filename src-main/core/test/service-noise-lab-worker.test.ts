/**
 * The noise lab's Api methods run on the service's interactive worker thread
 * (src-workers/tasks/interactive-pool.ts), not on the host's main thread:
 * the same numbers as the in-process functions, the main thread answering
 * timers and other Api calls during a large sweep, a crashed worker failing
 * one call only, and close() ending the thread (a call in flight is refused
 * as the shutdown conflict).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type NoiseLabSweepArg } from '../../../src-shared/api';
import { drawStable, estimate, noiseLabSweep } from '../../../src-workers/tasks/noise-lab-compute';
import { testService } from './service-helpers';

const FAULTY_NOISE_LAB = fileURLToPath(new URL('../../../src-workers/tasks/test/faulty-noise-lab-worker.mjs', import.meta.url));
/** work 3 · 6 · 100 000 · 3 = 5.4e6, near NOISE_LAB_LIMITS.maxSweepWork (about a second of one core) */
const LARGE: Required<NoiseLabSweepArg> = { alphas: [1.2, 1.5, 1.8], ns: [100_000], seeds: [1, 2, 3, 4, 5, 6], methods: ['ecf', 'mcculloch'], scale: 1, minSamples: 500 };

describe('noise lab on the interactive worker', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    s = testService({ workers: 1, paused: true });
  });
  afterAll(async () => s.cleanup());

  it('returns exactly what the in-process computations return for the same seeds', async () => {
    const d = await s.api.sampleStable({ alpha: 1.7, scale: 3, n: 2000, seed: 42 });
    expect(Array.from(d.samples)).toEqual(Array.from(drawStable({ alpha: 1.7, scale: 3, n: 2000, seed: 42 }).samples));
    const e = await s.api.estimateAlpha({ draw: { alpha: 1.7, scale: 3, n: 2000, seed: 42 }, method: 'ecf' });
    expect({ ...e, ms: 0 }).toEqual({ ...estimate(d.samples, 'ecf', 500, 42), ms: 0 });
    const arg: Required<NoiseLabSweepArg> = { alphas: [1.1, 1.6], ns: [400, 900], seeds: [5, 6], methods: ['mcculloch'], scale: 1, minSamples: 500 };
    expect((await s.api.noiseLabSweep({ alphas: arg.alphas, ns: arg.ns, seeds: arg.seeds, methods: arg.methods })).rows).toEqual(noiseLabSweep(arg).rows);
  });

  it('keeps the main thread answering timers and Api calls during a large sweep', async () => {
    let last = performance.now();
    let lag = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      lag = Math.max(lag, now - last - 10);
      last = now;
    }, 10);
    try {
      let done = false;
      const sweep = s.api.noiseLabSweep(LARGE).finally(() => (done = true));
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      await s.api.getQueue();
      const queueMs = performance.now() - t0;
      expect(done).toBe(false); // answered while the sweep was still computing
      expect(queueMs).toBeLessThan(100);
      const r = await sweep;
      expect(r.rows).toHaveLength(6);
      await new Promise((r2) => setTimeout(r2, 10));
    } finally {
      clearInterval(timer);
    }
    expect(lag).toBeLessThan(100);
  }, 30_000);
});

describe('noise lab worker failures and shutdown', () => {
  it('a crashed worker fails one call with an internal ApiError; the next call works', async () => {
    const s = testService({ workers: 1, paused: true, noiseLabWorkerFile: FAULTY_NOISE_LAB });
    try {
      const err = await s.api.sampleStable({ alpha: 1.5, scale: 1, n: 10, seed: 667 }).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('internal');
      expect((err as ApiError).message).toMatch(/sampleStable failed in the noise lab's worker thread/);
      const d = await s.api.sampleStable({ alpha: 1.5, scale: 1, n: 10, seed: 9 });
      expect(Array.from(d.samples)).toEqual(Array.from(drawStable({ alpha: 1.5, scale: 1, n: 10, seed: 9 }).samples));
    } finally {
      await s.cleanup();
    }
  }, 20_000);

  it('close() ends the worker: the call in flight is refused as a conflict, at once', async () => {
    const s = testService({ workers: 1, paused: true });
    await s.api.sampleStable({ alpha: 2, scale: 1, n: 10, seed: 1 });
    const inFlight = s.api.noiseLabSweep(LARGE).then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await s.cleanup();
    expect(performance.now() - t0).toBeLessThan(1000);
    const err = await inFlight;
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('conflict');
  }, 20_000);
});
