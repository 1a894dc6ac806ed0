/**
 * trainRun's createModel hook (the path of the WebGPU models), proved with a
 * CPU model behind the asynchronous GPU-model contract (separate host and
 * "device" parameter arrays, uninitialised host parameters, every pass
 * resolving on a later macrotask: src-workers/tasks/test/async-cpu-model.ts).
 * The same arithmetic in the same order must give the direct path's results
 * bit for bit: learning curve, gate statistics, final parameters, and the
 * diagnostics run on the trained model. So the hook initialises the model as
 * createInitialisedModel does, awaits every pass before reading its outputs,
 * and the direct path's awaits change nothing.
 */
import { describe, expect, it } from 'vitest';
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import { presetConfig } from '../../src-shared/presets';
import { asyncCpuHook } from '../tasks/test/async-cpu-model';
import { runDiagnostics } from './diagnostics/run-diagnostics';
import { trainRun, type CreateModelHook } from './train';

const ARCHS: ArchName[] = ['const', 'shared', 'diag', 'gru', 'lstm'];

// 40 sequences in batches of 16 (a remainder batch of 8), gate statistics at epochs 0 and 2, orth init, LayerNorm
const cfg: ExperimentConfig = { ...presetConfig('smoke'), Nseq_train: 40, batch_size: 16, epochs: 3, gate_log_every: 2, Nseq_diag: 8 };

const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

describe('trainRun with createModel', () => {
  for (const arch of ARCHS) {
    it(`${arch}: the hook's asynchronous model gives the direct path's results bit for bit`, async () => {
      const direct = await trainRun(cfg, arch, 31, { kernels: 'ts' });
      const { hook, made } = asyncCpuHook('ts');
      const viaHook = await trainRun(cfg, arch, 31, { createModel: hook, precision: 'f64', kernels: 'wasm' }); // both ignored with a hook
      expect(made).toHaveLength(1);
      expect(viaHook.model).toBe(made[0]);
      expect(viaHook.kernelsName).toBe('async-ts-f32');
      expect(direct.kernelsName).toBe('ts-f32');
      expect(viaHook.curve).toHaveLength(3);
      expect(viaHook.curve).toEqual(direct.curve);
      expect(viaHook.gateStats).toEqual(direct.gateStats);
      expect(bits(viaHook.model.params)).toEqual(bits(direct.model.params));
      // 3 epochs × 3 batches of updates; gate records, evaluations and training forwards all went through the model
      expect(made[0]!.passes.backward).toBe(9);
      expect(made[0]!.disposed).toBe(false); // the caller disposes it

      const dDirect = await runDiagnostics(direct.model, direct.task, cfg);
      const dHook = await runDiagnostics(viaHook.model, viaHook.task, cfg);
      expect(dHook).toEqual(dDirect);
      expect(made[0]!.passes.tangent).toBe(1); // Nseq_diag 8: one diagnostic batch
    });
  }

  it('the WASM kernels behind the hook match the direct WASM path too', async () => {
    for (const arch of ['gru', 'lstm'] as ArchName[]) {
      const direct = await trainRun(cfg, arch, 8, { kernels: 'wasm' });
      const { hook } = asyncCpuHook('wasm');
      const viaHook = await trainRun(cfg, arch, 8, { createModel: hook });
      expect(direct.kernelsName).toMatch(/wasm/);
      expect(viaHook.curve).toEqual(direct.curve);
      expect(bits(viaHook.model.params)).toEqual(bits(direct.model.params));
    }
  });

  it('divergence restores the last finite parameters on the host arrays, as on the direct path', async () => {
    const c = { ...cfg, lr: 1e38 };
    const direct = await trainRun(c, 'diag', 5, { kernels: 'ts' });
    const viaHook = await trainRun(c, 'diag', 5, { createModel: asyncCpuHook('ts').hook });
    expect([viaHook.diverged, viaHook.divergedEpoch]).toEqual([true, 0]);
    expect(bits(viaHook.model.params)).toEqual(bits(direct.model.params));
  });

  it('a model that fails during training is disposed and the error propagates', async () => {
    const { hook, made } = asyncCpuHook('ts');
    let n = 0;
    const failing: CreateModelHook = async (shape, opts) => {
      const m = await hook(shape, opts);
      const forward = m.forward.bind(m);
      return Object.assign(m, {
        forward: (...a: Parameters<typeof forward>) => (++n === 4 ? Promise.reject(new Error('device lost')) : forward(...a)),
      });
    };
    await expect(trainRun(cfg, 'gru', 1, { createModel: failing })).rejects.toThrow('device lost');
    expect(made[0]!.disposed).toBe(true);
  });

  it('onBatch follows every update, between the shouldStop polls, in order', async () => {
    const log: string[] = [];
    await trainRun({ ...cfg, epochs: 2 }, 'const', 2, {
      createModel: asyncCpuHook('ts').hook,
      hooks: { shouldStop: () => (log.push('poll'), false), onBatch: (e, b) => log.push(`${e}:${b}`), onEpoch: (r) => log.push(`epoch ${r.epoch}`) },
    });
    // 40 sequences in batches of 16: 3 updates per epoch
    const epoch = (e: number) => [`poll`, `${e}:0`, 'poll', `${e}:1`, 'poll', `${e}:2`, `epoch ${e}`];
    expect(log).toEqual([...epoch(0), ...epoch(1)]);
  });

  it('a model smaller than the run needs is refused (and disposed)', async () => {
    const { hook, made } = asyncCpuHook('ts');
    const small: CreateModelHook = (shape, opts) => hook(shape, { ...opts, maxBatch: opts.maxBatch - 1 });
    await expect(trainRun(cfg, 'const', 1, { createModel: small })).rejects.toThrow(/createModel gave a model for 63 × 48/);
    expect(made[0]!.disposed).toBe(true);
  });
});
