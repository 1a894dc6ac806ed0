/**
 * The training loop with the real architectures and kernels.
 * (Bookkeeping checked against closed forms with a fake model: train-bookkeeping.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import { presetConfig } from '../../src-shared/presets';
import { trainRun, type TrainResult } from './train';

const ARCHS: ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

function smoke(over: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return { ...presetConfig('smoke'), ...over };
}

function allFinite(r: TrainResult): boolean {
  const rows = r.curve.every((c) => [c.train_loss, c.train_acc, c.val_loss, c.val_acc].every(Number.isFinite));
  const gates = r.gateStats.every((g) => Number.isFinite(g.value));
  const params = Array.from(r.model.params).every(Number.isFinite);
  return rows && gates && params;
}

describe('trainRun: reproducibility', () => {
  // 40 sequences in batches of 16: the last batch has 8
  const cfg = smoke({ Nseq_train: 40, batch_size: 16, epochs: 3, gate_log_every: 2 });

  it('same seed gives bit-identical curves, gate statistics and parameters', async () => {
    for (const arch of ['gru', 'diag'] as ArchName[]) {
      const a = await trainRun(cfg, arch, 123);
      const b = await trainRun(cfg, arch, 123);
      expect(b.curve).toEqual(a.curve);
      expect(b.gateStats).toEqual(a.gateStats);
      expect(Array.from(b.model.params)).toEqual(Array.from(a.model.params));
      expect(a.curve).toHaveLength(3);
      expect(allFinite(a)).toBe(true);
    }
  });

  it('different seeds give different curves', async () => {
    const a = await trainRun(cfg, 'shared', 1);
    const b = await trainRun(cfg, 'shared', 2);
    expect(b.curve[0]!.train_loss).not.toBe(a.curve[0]!.train_loss);
    expect(b.curve[2]!.val_loss).not.toBe(a.curve[2]!.val_loss);
    expect(Array.from(b.task.u)).not.toEqual(Array.from(a.task.u));
  });

  it('the evaluation batch size does not change the reported values (beyond float32 rounding)', async () => {
    const a = await trainRun(cfg, 'lstm', 9, { evalBatch: 256 });
    const b = await trainRun(cfg, 'lstm', 9, { evalBatch: 24 }); // 256 = 10·24 + 16: a remainder chunk
    for (let e = 0; e < 3; e++) {
      expect(b.curve[e]!.train_loss).toBe(a.curve[e]!.train_loss); // training itself is unchanged
      expect(Math.abs(b.curve[e]!.val_loss / a.curve[e]!.val_loss - 1)).toBeLessThan(1e-5);
      expect(Math.abs(b.curve[e]!.train_acc - a.curve[e]!.train_acc)).toBeLessThan(1e-5);
    }
  });

  it('float32 WASM, float32 TS and float64 TS agree on the loss at initialisation', async () => {
    // one batch per epoch: epoch 0's train loss is the loss of the initial parameters
    const c = smoke({ Nseq_train: 16, batch_size: 16, epochs: 1 });
    for (const arch of ARCHS) {
      const w = await trainRun(c, arch, 4, { kernels: 'wasm' });
      const t = await trainRun(c, arch, 4, { kernels: 'ts' });
      const d = await trainRun(c, arch, 4, { precision: 'f64' });
      expect(w.kernelsName).toMatch(/wasm/);
      expect(t.kernelsName).toBe('ts-f32');
      expect(d.kernelsName).toBe('ts-f64');
      const ref = d.curve[0]!.train_loss;
      expect(Math.abs(w.curve[0]!.train_loss / ref - 1)).toBeLessThan(1e-5);
      expect(Math.abs(t.curve[0]!.train_loss / ref - 1)).toBeLessThan(1e-5);
    }
  });
});

describe('trainRun: learning', () => {
  // the quick preset's shapes (T 256, D 8, H 32, batch 32), fewer sequences and epochs
  const cfg: ExperimentConfig = { ...presetConfig('quick'), Nseq_train: 64, epochs: 4, lr: 0.005, gate_log_every: 2 };

  for (const arch of ARCHS) {
    it(`${arch}: validation loss goes down, every reported value is finite`, async () => {
      const rows: number[] = [];
      const r = await trainRun(cfg, arch, 212, { hooks: { onEpoch: (row) => rows.push(row.epoch) } });
      expect(r.diverged).toBe(false);
      expect(r.cancelled).toBe(false);
      expect(rows).toEqual([0, 1, 2, 3]);
      expect(allFinite(r)).toBe(true);
      const first = r.curve[0]!;
      const last = r.curve.at(-1)!;
      expect(last.val_loss).toBeLessThan(first.val_loss);
      expect(last.train_loss).toBeLessThan(first.train_loss);
      expect(last.val_acc).toBeGreaterThan(first.val_acc);
      // R² ≤ 1, losses ≥ 0
      for (const c of r.curve) {
        expect(c.val_acc).toBeLessThanOrEqual(1);
        expect(c.train_loss).toBeGreaterThanOrEqual(0);
      }
      // gate statistics at epochs 0 and 2, with the architecture's metric names
      expect([...new Set(r.gateStats.map((g) => g.epoch))]).toEqual([0, 2]);
    });
  }
});

describe('trainRun: the quick preset itself', () => {
  // Exactly the quick preset (lr 0.002, 256 sequences, batch 32, T 256, H 32), its first 5 of 20 epochs.
  const cfg: ExperimentConfig = { ...presetConfig('quick'), epochs: 5 };
  for (const arch of ARCHS) {
    it(`${arch}: validation loss after 5 epochs is below the first epoch's, all values finite`, async () => {
      const r = await trainRun(cfg, arch, 212);
      expect(r.diverged).toBe(false);
      expect(allFinite(r)).toBe(true);
      expect(r.curve).toHaveLength(5);
      expect(r.curve.at(-1)!.val_loss).toBeLessThan(r.curve[0]!.val_loss);
    });
  }
});

describe('trainRun: gate statistics', () => {
  const cfg = smoke({ epochs: 5, gate_log_every: 2, Nseq_train: 48, batch_size: 48 }); // 48 = 32 + 16: two record chunks

  it('const: gate_s_mean is const_s and leak_mean is 1 - const_s at every logged epoch', async () => {
    const r = await trainRun(cfg, 'const', 3);
    const epochs = [0, 2, 4];
    expect(r.gateStats.map((g) => g.metric)).toEqual(epochs.flatMap(() => ['gate_s_mean', 'leak_mean', 'rdiag_mean']));
    expect(r.gateStats.map((g) => g.epoch)).toEqual(epochs.flatMap((e) => [e, e, e]));
    for (const g of r.gateStats) {
      if (g.metric === 'gate_s_mean') expect(Math.abs(g.value - cfg.const_s)).toBeLessThan(1e-7);
      if (g.metric === 'leak_mean') expect(Math.abs(g.value - (1 - cfg.const_s))).toBeLessThan(1e-7);
    }
  });

  it('shared/diag: the gate starts at const_s (zero gate weights, bias logit(const_s)) before the first update', async () => {
    for (const arch of ['shared', 'diag'] as ArchName[]) {
      const r = await trainRun(cfg, arch, 3);
      const s0 = r.gateStats.find((g) => g.epoch === 0 && g.metric === 'gate_s_mean')!;
      expect(Math.abs(s0.value - cfg.const_s)).toBeLessThan(1e-6);
      const later = r.gateStats.find((g) => g.epoch === 4 && g.metric === 'gate_s_mean')!;
      expect(later.value).not.toBe(s0.value); // the gate is trained
      for (const e of [0, 2, 4]) {
        const s = r.gateStats.find((g) => g.epoch === e && g.metric === 'gate_s_mean')!.value;
        const l = r.gateStats.find((g) => g.epoch === e && g.metric === 'leak_mean')!.value;
        expect(Math.abs(s + l - 1)).toBeLessThan(1e-12);
      }
    }
  });

  it('gru and lstm report their metrics, means of gate values in (0, 1)', async () => {
    const g = await trainRun(cfg, 'gru', 3);
    expect(g.gateStats.filter((s) => s.epoch === 0).map((s) => s.metric)).toEqual(['z_mean', 'r_mean', 'leak_mean', 'rdiag_mean']);
    const l = await trainRun(cfg, 'lstm', 3);
    expect(l.gateStats.filter((s) => s.epoch === 0).map((s) => s.metric)).toEqual(['forget_mean', 'expr_mean', 'cdiag_mean']);
    for (const s of [...g.gateStats, ...l.gateStats]) {
      if (['z_mean', 'r_mean', 'leak_mean', 'forget_mean', 'expr_mean'].includes(s.metric)) {
        expect(s.value).toBeGreaterThan(0);
        expect(s.value).toBeLessThan(1);
      }
    }
    for (const e of [0, 2, 4]) {
      const z = g.gateStats.find((s) => s.epoch === e && s.metric === 'z_mean')!.value;
      const leak = g.gateStats.find((s) => s.epoch === e && s.metric === 'leak_mean')!.value;
      expect(Math.abs(z + leak - 1)).toBeLessThan(1e-12);
    }
  });
});

describe('trainRun: divergence and cancellation', () => {
  it('a huge learning rate diverges at epoch 0 and leaves the initial (finite) parameters', async () => {
    const cfg = smoke({ lr: 1e38 });
    for (const arch of ['const', 'lstm'] as ArchName[]) {
      const r = await trainRun(cfg, arch, 5);
      expect(r.diverged).toBe(true);
      expect(r.divergedEpoch).toBe(0);
      expect(r.curve).toHaveLength(0);
      const init = await trainRun({ ...cfg, epochs: 0 }, arch, 5);
      expect(Array.from(r.model.params)).toEqual(Array.from(init.model.params));
      expect(Array.from(r.model.params).every(Number.isFinite)).toBe(true);
    }
  });

  it('exponential blow-up (sgd, lr 10, no clipping) is caught at a later epoch; parameters of the last finished epoch', async () => {
    // b_out ← b_out(1 - 2·lr) + …: a factor 19 per step, so float32 overflows after tens of steps, never at the first
    const cfg = smoke({ Nseq_train: 16, batch_size: 16, optimizer: 'sgd', lr: 10, grad_clip: 0, epochs: 200 });
    const r = await trainRun(cfg, 'gru', 5);
    expect(r.diverged).toBe(true);
    expect(r.divergedEpoch).toBeGreaterThan(0);
    expect(r.curve).toHaveLength(r.divergedEpoch!);
    expect(r.curve.map((c) => c.epoch)).toEqual(r.curve.map((_, i) => i));
    expect(r.curve.every((c) => Number.isFinite(c.train_loss) && Number.isFinite(c.val_loss))).toBe(true);
    const upTo = await trainRun({ ...cfg, epochs: r.divergedEpoch! }, 'gru', 5);
    expect(upTo.diverged).toBe(false);
    expect(Array.from(r.model.params)).toEqual(Array.from(upTo.model.params));
    expect(Array.from(r.model.params).every(Number.isFinite)).toBe(true);
  });

  it('shouldStop() cancels between batches', async () => {
    const cfg = smoke({ Nseq_train: 32, batch_size: 16, epochs: 5 }); // two batches per epoch
    let calls = 0;
    const r = await trainRun(cfg, 'diag', 5, { hooks: { shouldStop: () => ++calls >= 3 } });
    expect(r.cancelled).toBe(true);
    expect(r.diverged).toBe(false);
    expect(calls).toBe(3);
    expect(r.curve).toHaveLength(1); // stopped before the first batch of epoch 1
  });
});
