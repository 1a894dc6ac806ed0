/**
 * The interactive pool (noise lab off the host's main thread): the worker's
 * results equal the in-process computation bit for bit (same seeds), the
 * caller's samples are never detached, the thread is started lazily and
 * closed when idle, a crash fails only its call, and — the point of it — a
 * timer on the calling thread keeps firing on time while a large sweep runs,
 * whereas the same sweep in process blocks it for its whole duration.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { NoiseLabSweepArg } from '../../src-shared/api';
import { createInteractivePool, DEFAULT_NOISE_LAB_WORKER_FILE, noiseLabWorkerFileFor, type InteractivePool } from './interactive-pool';
import { runNoiseLab } from './noise-lab-task';

const FAULTY = fileURLToPath(new URL('./test/faulty-noise-lab-worker.mjs', import.meta.url));

/** Max delay of a 10 ms interval timer on this thread while `work` runs (ms beyond the period). */
async function maxTimerLag(work: () => Promise<unknown> | unknown): Promise<{ lag: number; ms: number; ticks: number }> {
  const period = 10;
  let last = performance.now();
  let lag = 0;
  let ticks = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    lag = Math.max(lag, now - last - period);
    last = now;
    ticks++;
  }, period);
  const t0 = performance.now();
  try {
    await work();
    // the last stretch (from the last tick to the end of the work) counts too
    await new Promise((r) => setTimeout(r, period));
  } finally {
    clearInterval(timer);
  }
  return { lag, ms: performance.now() - t0, ticks };
}

const pools: InteractivePool[] = [];
const make = (o: Parameters<typeof createInteractivePool>[0] = {}) => {
  const p = createInteractivePool({ warn: () => {}, ...o });
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
});

describe('interactive pool', () => {
  it('gives exactly the in-process results for the three methods, and starts its thread on first use', async () => {
    const pool = make();
    expect(pool.started).toBe(false);
    expect(pool.threads).toBe(0);

    const drawArg = { alpha: 1.4, scale: 0.7, n: 3000, seed: 21 };
    const d = await pool.run('sampleStable', drawArg);
    expect(pool.started).toBe(true);
    expect(pool.threads).toBe(1);
    const local = runNoiseLab({ method: 'sampleStable', arg: drawArg }) as { samples: Float64Array };
    expect(d.samples).toBeInstanceOf(Float64Array);
    expect(d).toMatchObject(drawArg);
    expect(Array.from(d.samples)).toEqual(Array.from(local.samples));

    // samples given: a Float64Array (not detached by the call), a Float32Array, a list
    const f32 = Float32Array.from(d.samples.subarray(0, 1000));
    for (const samples of [d.samples, f32, Array.from(d.samples)]) {
      const arg = { samples, method: 'ecf' as const, minSamples: 500, seed: 3 };
      const e = await pool.run('estimateAlpha', arg);
      const l = runNoiseLab({ method: 'estimateAlpha', arg }) as typeof e;
      expect({ ...e, ms: 0 }).toEqual({ ...l, ms: 0 });
    }
    expect(d.samples.length).toBe(3000); // still attached
    // a draw regenerated in the worker
    const viaDraw = { draw: drawArg, method: 'mcculloch' as const, minSamples: 500, seed: 21 };
    expect({ ...(await pool.run('estimateAlpha', viaDraw)), ms: 0 })
      .toEqual({ ...(runNoiseLab({ method: 'estimateAlpha', arg: viaDraw }) as object), ms: 0 });

    const sweep: Required<NoiseLabSweepArg> = { alphas: [1.2, 1.9], ns: [300, 1200], seeds: [1, 2, 3], methods: ['mcculloch', 'ecf'], scale: 2, minSamples: 200 };
    const r = await pool.run('noiseLabSweep', sweep);
    const lr = runNoiseLab({ method: 'noiseLabSweep', arg: sweep }) as typeof r;
    expect(r.rows).toEqual(lr.rows);
    expect(r.scale).toBe(2);
    expect(pool.threads).toBe(1); // one thread for every call
  });

  it('keeps the calling thread responsive during a large sweep (in process it blocks)', async () => {
    const pool = make();
    await pool.run('sampleStable', { alpha: 2, scale: 1, n: 10, seed: 1 }); // thread started and warm
    // work 3 · 6 · 100 000 · (1 + 2) = 5.4e6, near NOISE_LAB_LIMITS.maxSweepWork (about a second)
    const sweep: Required<NoiseLabSweepArg> = { alphas: [1.2, 1.5, 1.8], ns: [100_000], seeds: [1, 2, 3, 4, 5, 6], methods: ['ecf', 'mcculloch'], scale: 1, minSamples: 500 };
    const off = await maxTimerLag(() => pool.run('noiseLabSweep', sweep));
    const on = await maxTimerLag(() => runNoiseLab({ method: 'noiseLabSweep', arg: sweep }));
    // in process the timer cannot fire until the sweep returns: the measurement sees blocking
    expect(on.lag).toBeGreaterThan(0.8 * on.ms - 50);
    expect(on.lag).toBeGreaterThan(150);
    // on the worker: the timer fired all along
    expect(off.lag).toBeLessThan(100);
    expect(off.ticks).toBeGreaterThan(off.ms / 10 / 2);
  }, 30_000);

  it('a crash fails only its call, with a clear error; the next call runs on a fresh thread', async () => {
    const pool = make({ filename: FAULTY });
    const first = (await pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 1, seed: 668 })) as unknown as { threadId: number };
    expect(first.threadId).toBeGreaterThan(0); // not the main thread (0)

    await expect(pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 10, seed: 666 })).rejects.toThrow(/sampleStable failed in the noise lab's worker thread \(.*injected failure/);
    const same = (await pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 1, seed: 668 })) as unknown as { threadId: number };
    expect(same.threadId).toBe(first.threadId); // a thrown error does not cost the thread

    await expect(pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 10, seed: 667 })).rejects.toThrow(/sampleStable failed in the noise lab's worker thread/);
    const d = await pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 50, seed: 9 });
    expect(Array.from(d.samples)).toEqual(Array.from((runNoiseLab({ method: 'sampleStable', arg: { alpha: 1.5, scale: 1, n: 50, seed: 9 } }) as { samples: Float64Array }).samples));
    const fresh = (await pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 1, seed: 668 })) as unknown as { threadId: number };
    expect(fresh.threadId).not.toBe(first.threadId);
  }, 20_000);

  it('closes its idle thread after the idle timeout and starts one again on demand', async () => {
    const pool = make({ idleTimeoutMs: 100 });
    await pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 10, seed: 1 });
    expect(pool.threads).toBe(1);
    const t0 = performance.now();
    while (pool.threads > 0 && performance.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 25));
    expect(pool.threads).toBe(0);
    const d = await pool.run('sampleStable', { alpha: 1.5, scale: 1, n: 10, seed: 1 });
    expect(d.samples).toHaveLength(10);
  }, 20_000);

  it('destroy(): the call in flight rejects at once, later calls are refused', async () => {
    const pool = make();
    await pool.run('sampleStable', { alpha: 2, scale: 1, n: 10, seed: 1 });
    const long = pool.run('noiseLabSweep', { alphas: [1.2, 1.5, 1.8], ns: [100_000], seeds: [1, 2, 3, 4, 5, 6], methods: ['ecf', 'mcculloch'], scale: 1, minSamples: 500 });
    const failed = long.then(() => 'resolved', (e: Error) => e.message);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await pool.destroy();
    expect(performance.now() - t0).toBeLessThan(500);
    expect(await failed).toMatch(/cancelled/);
    await expect(pool.run('sampleStable', { alpha: 2, scale: 1, n: 10, seed: 1 })).rejects.toThrow(/closed/);
    expect(pool.threads).toBe(0);
  }, 20_000);

  it('finds the built worker beside the run pool\'s, else the development entry', () => {
    expect(noiseLabWorkerFileFor()).toBe(DEFAULT_NOISE_LAB_WORKER_FILE);
    expect(noiseLabWorkerFileFor(FAULTY)).toBe(DEFAULT_NOISE_LAB_WORKER_FILE); // no noise-lab-worker.js there
    expect(DEFAULT_NOISE_LAB_WORKER_FILE).toMatch(/src-workers[\\/]tasks[\\/]noise-lab-worker\.mjs$/);
  });
});
