/**
 * The pool's GPU kernel tuning (RunPool.tune): in-process (workers 0, the
 * tuner injected) and in a worker thread as the named piscina task
 * 'tuneGpuTask' (test/fake-tune-worker.mjs: the real task with the fake
 * tuner of test/fake-tuning.ts). Every progress line arrives, in order,
 * before the result; the stop flag (own, or the pool's stop()) ends it after
 * the current configuration with what was measured; a tuner's failure
 * rejects with its message. The app's worker entry exports the task, and it
 * reaches the real tuner (an invalid request is refused before any device is
 * asked for). Units receive the stored tunings through the pool.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import type { TuneGpuRequest, TuneProgress } from '../../src-shared/gpu-tuning';
import { presetConfig } from '../../src-shared/presets';
import { createRunPool, DEFAULT_WORKER_FILE, type RunPool } from './pool';
import {
  FAKE_ADAPTER, FAKE_BEST, FAKE_DEFAULT_SHAPE, FAKE_H_REFUSED, FAKE_REPS_BUDGET, FAKE_REPS_ENDLESS, FAKE_REPS_FAIL, fakeTuneGpu,
} from './test/fake-tuning';

const FAKE_TUNE_WORKER = fileURLToPath(new URL('./test/fake-tune-worker.mjs', import.meta.url));
const DEFAULT_WORKER_URL = pathToFileURL(DEFAULT_WORKER_FILE).href;

function request(over: Partial<TuneGpuRequest> = {}): TuneGpuRequest {
  return {
    models: [
      { arch: 'gru', D: 1, H: 8, layernorm: false, constS: 0.05 },
      { arch: 'lstm', D: 1, H: 8, layernorm: false, constS: 0.05 },
    ],
    batch: 4, T: 6, budgetSeconds: 10, reps: 1, ...over,
  };
}

/** Progress lines as "arch done/planned". */
const lines = (ps: TuneProgress[]) => ps.map((p) => `${p.arch} ${p.done}/${p.planned}`);
const FULL = ['gru 1/4', 'gru 2/4', 'gru 3/4', 'gru 4/4', 'lstm 1/4', 'lstm 2/4', 'lstm 3/4', 'lstm 4/4'];

function pools(): [string, () => RunPool][] {
  return [
    ['in-process', () => createRunPool({ workers: 0, loadTuner: async () => ({ tuneGpu: fakeTuneGpu }) })],
    ['a worker thread', () => createRunPool({ workers: 1, filename: FAKE_TUNE_WORKER })],
  ];
}

describe.each(pools())('pool.tune %s', (name, make) => {
  it('returns the tuner\'s output after every progress line, in order', async () => {
    const pool = make();
    try {
      const seen: TuneProgress[] = [];
      const out = await pool.tune(request(), (p) => seen.push(p));
      expect(lines(seen)).toEqual(FULL);
      expect(out).toEqual({
        adapter: FAKE_ADAPTER, fallback: false, batch: 4, T: 6, skippedForBudget: 0, cancelled: false,
        results: [
          { model: request().models[0], best: FAKE_BEST('gru'), stepMs: 1, defaultStepMs: 2, tried: 4, refused: 0, complete: true },
          { model: request().models[1], best: FAKE_BEST('lstm'), stepMs: 2, defaultStepMs: 3, tried: 4, refused: 0, complete: true },
        ],
      });
      // a model shape whose every configuration was refused has no best
      const refused = await pool.tune(request({ models: [{ arch: 'diag', D: 1, H: FAKE_H_REFUSED, layernorm: true, constS: 0.05 }] }));
      expect(refused.results).toEqual([{ model: expect.objectContaining({ H: FAKE_H_REFUSED }), best: null, stepMs: null, defaultStepMs: null, tried: 0, refused: 4, complete: true }]);
      // a budget spent after each default: not complete, the skipped counted, each shape's last line at the planned count
      const cutLines: TuneProgress[] = [];
      const cut = await pool.tune(request({ reps: FAKE_REPS_BUDGET }), (p) => cutLines.push(p));
      expect([cut.skippedForBudget, cut.results.map((r) => [r.complete, r.best, r.stepMs, r.defaultStepMs])]).toEqual([6, [
        [false, FAKE_DEFAULT_SHAPE, 2, 2], [false, FAKE_DEFAULT_SHAPE, 3, 3],
      ]]);
      expect(lines(cutLines)).toEqual(['gru 1/4', 'gru 4/4', 'lstm 1/4', 'lstm 4/4']);
      expect(cutLines[1]!.message).toBe('3 configuration(s) not tried: the budget was spent');
    } finally {
      await pool.destroy();
    }
  });

  // a worker thread may have begun the next configuration when the main thread has read a line and set the flag
  it('its stop flag ends it after the current configuration, with what was measured (cancelled)', async () => {
    const pool = make();
    try {
      const flag = new SharedArrayBuffer(4);
      const seen: TuneProgress[] = [];
      const out = await pool.tune(request({ reps: FAKE_REPS_ENDLESS }), (p) => {
        seen.push(p);
        if (p.done === 3) Atomics.store(new Int32Array(flag), 0, 1);
      }, flag);
      expect(out.cancelled).toBe(true);
      const n = seen.length;
      expect(n).toBeGreaterThanOrEqual(3);
      if (name === 'in-process') expect(n).toBe(3);
      expect(lines(seen)).toEqual(Array.from({ length: n }, (_, i) => `gru ${i + 1}/4`));
      expect(out.results).toEqual([{ model: request().models[0], best: FAKE_BEST('gru'), stepMs: 1, defaultStepMs: 2, tried: n, refused: 0, complete: false }]);
    } finally {
      await pool.destroy();
    }
  });

  it('the pool\'s stop() stops a tuning too', async () => {
    const pool = make();
    try {
      let n = 0;
      const out = await pool.tune(request({ reps: FAKE_REPS_ENDLESS }), (p) => {
        n++;
        if (p.done === 2) pool.stop();
      });
      expect(out.cancelled).toBe(true);
      expect(out.results[0]!.tried).toBe(n);
      expect(n).toBeGreaterThanOrEqual(2);
      expect(n).toBeLessThan(100); // stopped, not the fake's 30 s cap
    } finally {
      await pool.destroy();
    }
  });

  it('a tuner\'s failure rejects with its message, after the lines it sent; a refused request too', async () => {
    const pool = make();
    try {
      const seen: TuneProgress[] = [];
      await expect(pool.tune(request({ reps: FAKE_REPS_FAIL }), (p) => seen.push(p))).rejects.toThrow(`the fake tuner failed (reps ${FAKE_REPS_FAIL})`);
      expect(lines(seen)).toEqual(['gru 1/4']);
      await expect(pool.tune(request({ models: [] }))).rejects.toThrow('models must be a non-empty list');
      // and the pool goes on
      expect((await pool.tune(request())).results).toHaveLength(2);
    } finally {
      await pool.destroy();
    }
  });
});

describe('the app\'s worker entry', () => {
  it('exports tuneGpuTask, which reaches the real tuner: an invalid request is refused naming the field, before any device is asked for', async () => {
    // a URL string: TypeScript does not type the .mjs entry
    const mod = (await import(DEFAULT_WORKER_URL)) as { default: unknown; tuneGpuTask: unknown };
    expect(typeof mod.default).toBe('function');
    expect(typeof mod.tuneGpuTask).toBe('function');
    const pool = createRunPool({ workers: 1, filename: DEFAULT_WORKER_FILE });
    try {
      await expect(pool.tune(request({ budgetSeconds: 5 }))).rejects.toThrow(/budgetSeconds/);
    } finally {
      await pool.destroy();
    }
  });
});

describe('units receive the stored tunings through the pool', () => {
  const cfg: ExperimentConfig = {
    ...presetConfig('smoke'), Nseq_train: 16, Nseq_diag: 16, T: 12, lag_max: 6, task_lags: [2, 4], task_coeffs: [0.6, 0.5], epochs: 1,
  };

  it('a worker thread applies its adapter\'s tuning; the model reports it', async () => {
    const pool = createRunPool({ workers: 1, filename: FAKE_TUNE_WORKER });
    try {
      const shape = { workgroupSize: 32, seqsPerWorkgroup: 4, unroll: 1 };
      const tuned = await pool.run({
        config: cfg, arch: 'gru', seed: 1, backend: 'webgpu', diagnostics: false,
        gpuTunings: [{ adapter: 'NVIDIA H200', shape: FAKE_BEST('gru') }, { adapter: FAKE_ADAPTER, shape }],
      });
      expect(tuned.kernelShape).toEqual({ ...shape, source: 'tuned' });
      const plain = await pool.run({ config: cfg, arch: 'gru', seed: 1, backend: 'webgpu', diagnostics: false });
      expect(plain.kernelShape).toEqual({ ...FAKE_DEFAULT_SHAPE, source: 'default' });
    } finally {
      await pool.destroy();
    }
  });
});
