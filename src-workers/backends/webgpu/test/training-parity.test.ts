/**
 * A short training run on the GPU gives the CPU's learning curve (issue 6:
 * to 1e-3 relative), for every architecture: same initialisation (the
 * trainer initialises the hook's model exactly as on the CPU), same data and
 * order, same optimiser; the GPU model computes in float32, the reference is
 * the float64 TypeScript CPU model. Three epochs of two mini-batches each, so
 * later epochs start from parameters both backends updated.
 */
import { describe, expect, it } from 'vitest';
import type { ArchName, ExperimentConfig } from '../../../../src-shared/config';
import { presetConfig } from '../../../../src-shared/presets';
import { trainRun } from '../../../engine/train';
import { createGpuModel } from '../index';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

const cfg: ExperimentConfig = {
  ...presetConfig('smoke'),
  Nseq_train: 12, batch_size: 6, T: 16, D: 3, H: 8, epochs: 3, gate_log_every: 1,
  task_lags: [2, 4], task_coeffs: [0.6, 0.5],
};

const ARCHS: ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

describe.skipIf(!ctx)('GPU training reproduces the CPU learning curve', () => {
  for (const arch of ARCHS) {
    it(`${arch}: losses, R² and gate statistics within 1e-3 over 3 epochs`, async () => {
      const cpu = await trainRun(cfg, arch, 7, { precision: 'f64', kernels: 'ts' });
      const gpu = await trainRun(cfg, arch, 7, { createModel: async (shape, o) => createGpuModel(ctx!, shape, o) });
      try {
        expect(gpu.kernelsName).toBe('webgpu');
        expect(gpu.diverged).toBe(false);
        expect(gpu.curve).toHaveLength(cfg.epochs);
        for (let e = 0; e < cfg.epochs; e++) {
          for (const k of ['train_loss', 'val_loss', 'train_acc', 'val_acc'] as const) {
            const want = cpu.curve[e]![k];
            const got = gpu.curve[e]![k];
            expect(Math.abs(got - want) / Math.max(Math.abs(want), 1e-12), `epoch ${e} ${k}: gpu ${got} cpu ${want}`).toBeLessThan(1e-3);
          }
        }
        expect(gpu.gateStats.map((g) => g.metric)).toEqual(cpu.gateStats.map((g) => g.metric));
        gpu.gateStats.forEach((g, i) => {
          const want = cpu.gateStats[i]!.value;
          expect(Math.abs(g.value - want), `${g.metric} epoch ${g.epoch}`).toBeLessThan(1e-3 * Math.max(1, Math.abs(want)));
        });
      } finally {
        gpu.model.dispose?.();
      }
    });
  }
});

/**
 * Resident inputs (train-inputs.ts) change where a batch's inputs come from,
 * not what they are: a GPU run with them gives the host-fed GPU run's curve,
 * gate statistics and final parameters bit for bit. The shapes leave every
 * remainder: 13 training sequences in batches of 6 (a last batch of 1), 256
 * validation sequences in evaluation passes of 64 and in slices of 43.
 */
describe.skipIf(!ctx)('GPU training with resident inputs is the host-fed run', () => {
  const odd: ExperimentConfig = { ...cfg, Nseq_train: 13, epochs: 2 };
  for (const arch of ARCHS) {
    it(`${arch}: identical curve, gate statistics and parameters`, async () => {
      const createModel = async (shape: Parameters<typeof createGpuModel>[1], o: { maxBatch: number; maxT: number }) => createGpuModel(ctx!, shape, o);
      const reserves: unknown[] = [];
      const spying = async (shape: Parameters<typeof createGpuModel>[1], o: { maxBatch: number; maxT: number }) => {
        const m = createGpuModel(ctx!, shape, o);
        const make = m.createResidentInputs.bind(m);
        m.createResidentInputs = (capacity, reserve) => {
          reserves.push(reserve);
          return make(capacity, reserve);
        };
        return m;
      };
      const fed = await trainRun(odd, arch, 11, { createModel, residentInputs: false });
      const res = await trainRun(odd, arch, 11, { createModel: spying });
      try {
        expect(fed.residentInputs).toBe(false);
        expect(res.residentInputs).toBe(true);
        // room for the gate statistics' pass over the first mini-batch (6 sequences) is made before the store
        expect(reserves).toEqual([{ termSeqs: 6 }]);
        expect(res.curve).toEqual(fed.curve);
        expect(res.gateStats).toEqual(fed.gateStats);
        expect(Array.from(res.model.params)).toEqual(Array.from(fed.model.params));
        // the training set's device store is released when training ends (the diagnostics get its memory)
        await expect(res.model.forward(new Float32Array(0), 1, odd.T, new Float32Array(odd.T), { train: false, rows: [0] }))
          .rejects.toThrow(/after dispose/);
      } finally {
        fed.model.dispose?.();
        res.model.dispose?.();
      }
    });
  }
});
