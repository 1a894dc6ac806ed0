/**
 * The training loop's bookkeeping against closed forms, with a tiny fake
 * model in place of the architectures: ŷ_{t,b} = w·x_{t,b,0} + c (params
 * [w, c], both 0 at "initialisation"), whose recorded terms are
 * leak = x_{t,b,0}, rdiag = 2·x_{t,b,0} for every unit. Every expected value
 * below is recomputed from the task's data and the documented seeds.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import { presetConfig } from '../../src-shared/presets';
import type { FloatArray } from './kernels/types';
import type { ForwardOptions, Model, ModelOptions, ModelShape } from './models/types';
import { deriveSeed, Rng } from './rng';
import { SyntheticTask } from './task';
import { DATA_STREAM, SHUFFLE_STREAM, trainRun, trainEvalSize, valSetSize } from './train';

const ctl = vi.hoisted(() => ({ trainForwards: 0, nanAfter: Infinity }));

vi.mock('./models/index', () => ({
  createInitialisedModel(shape: ModelShape, opts: ModelOptions<FloatArray>): Model<FloatArray> {
    const k = opts.kernels;
    const params = k.alloc(2);
    const grads = k.alloc(2);
    const { D, H } = shape;
    let lastX: FloatArray | null = null;
    let lastB = 0;
    let lastT = 0;
    return {
      shape,
      layout: {
        size: 2,
        tensors: [],
        byName: {},
      },
      kernels: k,
      maxBatch: opts.maxBatch,
      maxT: opts.maxT,
      params,
      grads,
      forward(x: FloatArray, B: number, T: number, yhat: FloatArray, o: ForwardOptions<FloatArray>): void {
        if (B > opts.maxBatch || T > opts.maxT) throw new Error('fake model: batch too large');
        if (o.train) ctl.trainForwards++;
        const poison = o.train && ctl.trainForwards > ctl.nanAfter;
        for (let i = 0; i < T * B; i++) yhat[i] = poison ? NaN : params[0]! * x[i * D]! + params[1]!;
        if (o.record) {
          for (let i = 0; i < T * B; i++) {
            for (let q = 0; q < H; q++) {
              o.record['leak']![i * H + q] = x[i * D]!;
              o.record['rdiag']![i * H + q] = 2 * x[i * D]!;
            }
          }
        }
        lastX = x;
        lastB = B;
        lastT = T;
      },
      backward(dy: FloatArray): void {
        let gw = 0;
        let gc = 0;
        for (let i = 0; i < lastT * lastB; i++) {
          gw += dy[i]! * lastX![i * D]!;
          gc += dy[i]!;
        }
        grads[0] = gw;
        grads[1] = gc;
      },
      tangent(): void {
        throw new Error('not used');
      },
    };
  },
}));

const SEED = 77;

function cfgOf(over: Partial<ExperimentConfig>): ExperimentConfig {
  return { ...presetConfig('smoke'), optimizer: 'sgd', lr: 0, weight_decay: 0, grad_clip: 0, ...over };
}

/** The run's task rebuilt from the documented data seed. */
function taskOf(cfg: ExperimentConfig): SyntheticTask {
  const { D, T, task_lags, task_coeffs, noise_std } = cfg;
  return new SyntheticTask({ D, T, task_lags, task_coeffs, noise_std }, deriveSeed(SEED, DATA_STREAM));
}

/** Σy, Σy², Σ y·x0 over the given sequences (float64, one sequence at a time). */
function sums(task: SyntheticTask, set: 'train' | 'val', epoch: number, ids: ArrayLike<number>, f64 = false) {
  // the run's storage type: float32 by default, float64 with precision 'f64'
  const x = f64 ? new Float64Array(task.T * task.D) : new Float32Array(task.T * task.D);
  const y = f64 ? new Float64Array(task.T) : new Float32Array(task.T);
  let sy = 0;
  let syy = 0;
  let syx = 0;
  let sx = 0;
  for (let i = 0; i < ids.length; i++) {
    task.fill(set, epoch, [ids[i]!], 1, x, y);
    for (let t = 0; t < task.T; t++) {
      sy += y[t]!;
      syy += y[t]! * y[t]!;
      syx += y[t]! * x[t * task.D]!;
      sx += x[t * task.D]!;
    }
  }
  return { sy, syy, syx, sx, n: ids.length * task.T };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function shuffled(N: number, epoch: number): Int32Array {
  const perm = Int32Array.from(range(N));
  new Rng(deriveSeed(SEED, SHUFFLE_STREAM, epoch)).shuffle(perm);
  return perm;
}

describe('trainRun bookkeeping (fake model)', () => {
  it('losses and R² of a zero predictor are the closed forms Σy²/n and 1 - Σy²/(Σy² - nȳ²)', async () => {
    // 40 sequences in batches of 16, 16, 8: only a sample-weighted mean gives Σy²/n
    const cfg = cfgOf({ Nseq_train: 40, batch_size: 16, epochs: 3 });
    const r = await trainRun(cfg, 'const', SEED);
    const task = taskOf(cfg);
    expect(Array.from(r.task.u)).toEqual(Array.from(task.u));
    const tr = sums(task, 'train', 0, range(40));
    expect(trainEvalSize(cfg)).toBe(40);
    expect(valSetSize(cfg)).toBe(256);
    expect(r.curve).toHaveLength(3);
    for (const row of r.curve) {
      expect(Math.abs(row.train_loss - tr.syy / tr.n)).toBeLessThan(1e-12);
      const sst = tr.syy - (tr.sy * tr.sy) / tr.n;
      expect(Math.abs(row.train_acc - (1 - tr.syy / sst))).toBeLessThan(1e-12);
      const va = sums(task, 'val', row.epoch, range(256));
      expect(Math.abs(row.val_loss - va.syy / va.n)).toBeLessThan(1e-12);
      const vsst = va.syy - (va.sy * va.sy) / va.n;
      expect(Math.abs(row.val_acc - (1 - va.syy / vsst))).toBeLessThan(1e-12);
    }
    // a fresh validation set every epoch
    expect(r.curve[1]!.val_loss).not.toBe(r.curve[0]!.val_loss);
  });

  it('one SGD step moves the parameters by -lr·∂L/∂θ with ∂L/∂ŷ = 2(ŷ - y)/(B·T)', async () => {
    const cfg = cfgOf({ Nseq_train: 16, batch_size: 16, epochs: 1, lr: 0.1 });
    const r = await trainRun(cfg, 'const', SEED, { precision: 'f64' });
    const s = sums(taskOf(cfg), 'train', 0, range(16), true);
    // from w = c = 0: ∂L/∂w = -2 Σ y x0 / n, ∂L/∂c = -2 Σ y / n
    expect(Math.abs(r.model.params[0]! - (0.1 * 2 * s.syx) / s.n)).toBeLessThan(1e-15);
    expect(Math.abs(r.model.params[1]! - (0.1 * 2 * s.sy) / s.n)).toBeLessThan(1e-15);
  });

  it('clipping bounds the step: |Δθ| = lr·clip·norm/(norm + 1e-6)', async () => {
    const cfg = cfgOf({ Nseq_train: 16, batch_size: 16, epochs: 1, lr: 0.1, grad_clip: 1e-3 });
    const r = await trainRun(cfg, 'const', SEED, { precision: 'f64' });
    const s = sums(taskOf(cfg), 'train', 0, range(16), true);
    const g = [(-2 * s.syx) / s.n, (-2 * s.sy) / s.n];
    const norm = Math.hypot(g[0]!, g[1]!);
    expect(norm).toBeGreaterThan(1e-3);
    const scale = 1e-3 / (norm + 1e-6);
    expect(Math.abs(r.model.params[0]! + 0.1 * g[0]! * scale)).toBeLessThan(1e-15);
    expect(Math.abs(r.model.params[1]! + 0.1 * g[1]! * scale)).toBeLessThan(1e-15);
  });

  it('gate statistics are means over the first mini-batch of each logged epoch\'s shuffle', async () => {
    // batch 48 = record chunks of 32 + 16
    const cfg = cfgOf({ Nseq_train: 100, batch_size: 48, epochs: 4, gate_log_every: 3 });
    const r = await trainRun(cfg, 'const', SEED);
    const task = taskOf(cfg);
    expect(r.gateStats.map((g) => g.epoch)).toEqual([0, 0, 0, 3, 3, 3]);
    for (const e of [0, 3]) {
      const s = sums(task, 'train', 0, shuffled(100, e).subarray(0, 48));
      const meanX0 = s.sx / s.n;
      const get = (m: string) => r.gateStats.find((g) => g.epoch === e && g.metric === m)!.value;
      expect(Math.abs(get('leak_mean') - meanX0)).toBeLessThan(1e-12);
      expect(Math.abs(get('gate_s_mean') - (1 - meanX0))).toBeLessThan(1e-12);
      expect(Math.abs(get('rdiag_mean') - 2 * meanX0)).toBeLessThan(1e-12);
    }
  });

  it('the train-R² subset is the first 1024 sequences of the epoch\'s shuffle', async () => {
    const cfg = cfgOf({ Nseq_train: 1100, batch_size: 550, epochs: 1, T: 6, task_lags: [1, 2], task_coeffs: [0.5, 0.4] });
    const r = await trainRun(cfg, 'const', SEED);
    const s = sums(taskOf(cfg), 'train', 0, shuffled(1100, 0).subarray(0, 1024));
    const sst = s.syy - (s.sy * s.sy) / s.n;
    expect(Math.abs(r.curve[0]!.train_acc - (1 - s.syy / sst))).toBeLessThan(1e-12);
  });

  it('a NaN loss mid-epoch stops at once and restores the last completed epoch\'s parameters', async () => {
    const cfg = cfgOf({ Nseq_train: 32, batch_size: 16, epochs: 10, lr: 0.05 }); // two steps per epoch
    ctl.trainForwards = 0;
    ctl.nanAfter = 5; // the 6th training forward (epoch 2, second batch) returns NaN
    const r = await trainRun(cfg, 'const', SEED, { precision: 'f64' });
    ctl.nanAfter = Infinity;
    expect(r.diverged).toBe(true);
    expect(r.divergedEpoch).toBe(2);
    expect(r.curve).toHaveLength(2);
    expect(ctl.trainForwards).toBe(6); // nothing ran after the NaN
    ctl.trainForwards = 0;
    const ref = await trainRun({ ...cfg, epochs: 2 }, 'const', SEED, { precision: 'f64' });
    expect(Array.from(r.model.params)).toEqual(Array.from(ref.model.params));
    expect(ref.model.params[0]).not.toBe(0);
  });
});
