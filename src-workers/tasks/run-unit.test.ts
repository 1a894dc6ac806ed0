/**
 * runUnit's backends (issue 6), in-process with a fake GPU backend whose
 * "device" is a CPU model behind the asynchronous GPU-model contract
 * (test/async-cpu-model.ts): a webgpu unit trains and diagnoses on the
 * backend's model (the same float32 arithmetic as the CPU unit, so the same
 * results bit for bit), names the adapter, and disposes the model; a unit
 * that gets no device fails with the reason, or, with cpuFallback (auto),
 * runs on the CPU and says why. Kernel tunings: the stored tuning of the
 * device's adapter is applied as stored ('auto' unroll too), another adapter's is
 * ignored, and a tuned shape the device refuses (when the model is made, or
 * its kernels' compilation once made) falls back to the defaults with a
 * note; the output names the shape used and its source.
 */
import { describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../src-shared/config';
import { presetConfig } from '../../src-shared/presets';
import type { GpuContext } from '../backends/webgpu/types';
import { diagnosticsThreadsFor, runUnit, type GpuBackendModule } from './run-unit';
import { asyncCpuModel, type AsyncCpuModel } from './test/async-cpu-model';
import { FAKE_ADAPTER, FAKE_DEFAULT_SHAPE, FAKE_MAX_WG, FAKE_UNCOMPILABLE_S, fakeTunedGpu } from './test/fake-tuning';

const cfg: ExperimentConfig = {
  ...presetConfig('smoke'), Nseq_train: 16, Nseq_diag: 16, T: 24, lag_max: 12, task_lags: [2, 4], task_coeffs: [0.6, 0.5], epochs: 2,
};

const ctx = {
  device: {} as GpuContext['device'],
  adapter: { description: '', vendor: 'acme', architecture: 'rdna9', fallback: false },
  limits: {} as GpuContext['limits'],
} satisfies GpuContext;

function fakeGpu(opts: { noDevice?: string; noModel?: string } = {}): { load: () => Promise<GpuBackendModule>; made: AsyncCpuModel[] } {
  const made: AsyncCpuModel[] = [];
  const mod: GpuBackendModule = {
    acquireGpu: async () => {
      if (opts.noDevice) throw new Error(opts.noDevice);
      return ctx;
    },
    createGpuModel: (_c, shape, o) => {
      if (opts.noModel) throw new RangeError(opts.noModel);
      const m = asyncCpuModel(shape, o, 'auto');
      made.push(m);
      return m as unknown as ReturnType<GpuBackendModule['createGpuModel']>;
    },
  };
  return { load: async () => mod, made };
}

describe('runUnit backends', () => {
  it('cpu (the default) reports the CPU and no adapter', async () => {
    const out = await runUnit(cfg, 'diag', 3, {}, { diagnostics: false });
    expect([out.backend, out.adapter, out.backendNote]).toEqual(['cpu', undefined, undefined]);
  });

  it('webgpu: the backend\'s model trains and diagnoses, the adapter is named (vendor and architecture without a description), the model is disposed', async () => {
    const gpu = fakeGpu();
    const out = await runUnit(cfg, 'gru', 3, {}, { backend: 'webgpu', loadGpu: gpu.load });
    const ref = await runUnit(cfg, 'gru', 3);
    expect([out.backend, out.adapter, out.backendNote]).toEqual(['webgpu', 'acme rdna9', undefined]);
    expect(gpu.made).toHaveLength(1);
    expect(gpu.made[0]!.disposed).toBe(true);
    expect(gpu.made[0]!.passes.tangent).toBeGreaterThan(0); // the diagnostics ran on it
    expect(out.kernelsName).toBe(`async-${ref.kernelsName}`);
    expect(out.curve).toEqual(ref.curve);
    expect(out.gateStats).toEqual(ref.gateStats);
    expect(out.diagnosticsStatus).toBe('done');
    expect(out.diagnostics!.summary).toEqual(ref.diagnostics!.summary);
    expect(out.diagnostics!.muUnits).toEqual(ref.diagnostics!.muUnits);
  });

  it('webgpu without a device: the unit fails with the reason; with cpuFallback it runs on the CPU and says why', async () => {
    const gpu = fakeGpu({ noDevice: 'no adapter' });
    await expect(runUnit(cfg, 'const', 3, {}, { backend: 'webgpu', loadGpu: gpu.load })).rejects.toThrow('no WebGPU device: no adapter');
    const out = await runUnit(cfg, 'const', 3, {}, { backend: 'webgpu', cpuFallback: true, loadGpu: gpu.load, diagnostics: false });
    const ref = await runUnit(cfg, 'const', 3, {}, { diagnostics: false });
    expect([out.backend, out.adapter, out.backendNote]).toEqual(['cpu', undefined, 'webgpu → cpu: no WebGPU device: no adapter']);
    expect(out.curve).toEqual(ref.curve);
  });

  it('webgpu whose model cannot be made (e.g. a shape the kernels do not support): the same rule', async () => {
    const gpu = fakeGpu({ noModel: 'H too large' });
    await expect(runUnit(cfg, 'lstm', 3, {}, { backend: 'webgpu', loadGpu: gpu.load, diagnostics: false }))
      .rejects.toThrow('the WebGPU model could not be made on acme rdna9: H too large');
    const out = await runUnit(cfg, 'lstm', 3, {}, { backend: 'webgpu', cpuFallback: true, loadGpu: gpu.load, diagnostics: false });
    expect([out.backend, out.backendNote]).toEqual(['cpu', 'webgpu → cpu: the WebGPU model could not be made on acme rdna9: H too large']);
  });

  it('a failure while training on the GPU is not a fallback: the unit fails even for auto', async () => {
    const made: AsyncCpuModel[] = [];
    const mod: GpuBackendModule = {
      acquireGpu: async () => ctx,
      createGpuModel: (_c, shape, o) => {
        const m = asyncCpuModel(shape, o, 'ts');
        m.backward = () => Promise.reject(new Error('device lost'));
        made.push(m);
        return m as unknown as ReturnType<GpuBackendModule['createGpuModel']>;
      },
    };
    await expect(runUnit(cfg, 'shared', 3, {}, { backend: 'webgpu', cpuFallback: true, loadGpu: async () => mod })).rejects.toThrow('device lost');
    expect(made[0]!.disposed).toBe(true);
  });
});

describe('kernel tunings of a webgpu run', () => {
  const tuned = { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 4 } as const;

  it('the tuning of the device\'s adapter is the model\'s shape (source tuned); another adapter\'s is not looked at', async () => {
    const gpu = fakeTunedGpu();
    const gpuTunings = [
      { adapter: 'NVIDIA H200', shape: { workgroupSize: 32, seqsPerWorkgroup: 8, unroll: 1 } },
      { adapter: FAKE_ADAPTER, shape: tuned },
    ];
    const out = await runUnit(cfg, 'gru', 3, {}, { backend: 'webgpu', loadGpu: async () => gpu.module, gpuTunings, diagnostics: false });
    expect(gpu.asked).toEqual([tuned]);
    expect([out.adapter, out.kernelShape, out.kernelNote]).toEqual([FAKE_ADAPTER, { ...tuned, source: 'tuned' }, undefined]);
  });

  it('a stored unroll \'auto\' reaches the model as \'auto\' (the per-loop rule it was measured with, not today\'s default)', async () => {
    const gpu = fakeTunedGpu();
    const auto = { workgroupSize: 32, seqsPerWorkgroup: 4, unroll: 'auto' } as const;
    const out = await runUnit(cfg, 'const', 3, {}, {
      backend: 'webgpu', loadGpu: async () => gpu.module, gpuTunings: [{ adapter: FAKE_ADAPTER, shape: auto }], diagnostics: false,
    });
    expect(gpu.asked).toEqual([auto]);
    expect(out.kernelShape).toEqual({ ...auto, source: 'tuned' });
  });

  it('only another adapter\'s tuning, or none: the defaults (source default), no note', async () => {
    for (const gpuTunings of [[{ adapter: 'NVIDIA H200', shape: tuned }], [], undefined]) {
      const gpu = fakeTunedGpu();
      const out = await runUnit(cfg, 'diag', 3, {}, {
        backend: 'webgpu', loadGpu: async () => gpu.module, diagnostics: false, ...(gpuTunings ? { gpuTunings } : {}),
      });
      expect(gpu.asked).toEqual([undefined]);
      expect([out.kernelShape, out.kernelNote]).toEqual([{ ...FAKE_DEFAULT_SHAPE, source: 'default' }, undefined]);
    }
  });

  it('a tuned shape the device refuses: the model is made with the defaults, a note says why, the run completes as the CPU\'s', async () => {
    const gpu = fakeTunedGpu();
    const stale = { workgroupSize: 1024, seqsPerWorkgroup: 2, unroll: 'auto' } as const;
    const out = await runUnit(cfg, 'gru', 3, {}, { backend: 'webgpu', loadGpu: async () => gpu.module, gpuTunings: [{ adapter: FAKE_ADAPTER, shape: stale }] });
    const ref = await runUnit(cfg, 'gru', 3);
    expect(gpu.asked).toEqual([stale, undefined]);
    expect([out.backend, out.backendNote, out.kernelShape]).toEqual(['webgpu', undefined, { ...FAKE_DEFAULT_SHAPE, source: 'default' }]);
    expect(out.kernelNote).toBe(`the stored kernel tuning for ${FAKE_ADAPTER} (S 2, WG 1024, unroll auto) was refused by the device `
      + `(workgroupSize 1024 exceeds the device's ${FAKE_MAX_WG} invocations per workgroup): the default kernel shape is used`);
    expect(out.diagnosticsStatus).toBe('done');
    expect(out.curve).toEqual(ref.curve);
  });

  it('a tuned shape made but failing on the device (its kernels do not compile): that model is disposed, the defaults used with a note', async () => {
    const gpu = fakeTunedGpu();
    const broken = { workgroupSize: 64, seqsPerWorkgroup: FAKE_UNCOMPILABLE_S, unroll: 1 } as const;
    const out = await runUnit(cfg, 'lstm', 3, {}, {
      backend: 'webgpu', loadGpu: async () => gpu.module, gpuTunings: [{ adapter: FAKE_ADAPTER, shape: broken }], diagnostics: false,
    });
    const ref = await runUnit(cfg, 'lstm', 3, {}, { diagnostics: false });
    expect(gpu.asked).toEqual([{ ...broken }, undefined]);
    expect(gpu.made.map((m) => [m.disposed, m.passes.forward > 0])).toEqual([[true, false], [true, true]]);
    expect([out.backend, out.kernelShape]).toEqual(['webgpu', { ...FAKE_DEFAULT_SHAPE, source: 'default' }]);
    expect(out.kernelNote).toBe(`the stored kernel tuning for ${FAKE_ADAPTER} (S ${FAKE_UNCOMPILABLE_S}, WG 64, unroll 1) failed on the device `
      + '(WebGPU error: kernel lstm-forward-train failed to compile:): the default kernel shape is used');
    expect(out.curve).toEqual(ref.curve);
  });

  it('the CPU, and a backend whose models do not report a shape: no kernel shape', async () => {
    const cpu = await runUnit(cfg, 'const', 3, {}, { diagnostics: false, gpuTunings: [{ adapter: FAKE_ADAPTER, shape: tuned }] });
    expect('kernelShape' in cpu || 'kernelNote' in cpu).toBe(false);
    const gpu = fakeGpu();
    const out = await runUnit(cfg, 'const', 3, {}, { backend: 'webgpu', loadGpu: gpu.load, diagnostics: false, gpuTunings: [{ adapter: 'acme rdna9', shape: tuned }] });
    expect(out.backend).toBe('webgpu');
    expect('kernelShape' in out).toBe(false);
  });
});

describe('lag threads of a GPU run\'s diagnostics', () => {
  it('the cores but one, shared between the runs in their diagnostics, at most 8 and at least 1', () => {
    expect([1, 2, 3, 4, 5, 15, 16, 40].map((a) => diagnosticsThreadsFor(a, 16))).toEqual([8, 7, 5, 3, 3, 1, 1, 1]);
    expect(diagnosticsThreadsFor(1, 4)).toBe(3);
    expect(diagnosticsThreadsFor(1, 2)).toBe(1);
    expect(diagnosticsThreadsFor(1, 1)).toBe(1);
    expect(diagnosticsThreadsFor(0, 16)).toBe(8); // a count never below one run
  });

  it('the cores the runs computing on the CPU leave: ⌊(cores − 1 − CPU runs) / GPU runs in diagnostics⌋', () => {
    expect([0, 3, 7, 9, 13, 14, 20].map((busy) => diagnosticsThreadsFor(1, 16, busy))).toEqual([8, 8, 8, 6, 2, 1, 1]);
    expect(diagnosticsThreadsFor(2, 16, 9)).toBe(3);
    expect(diagnosticsThreadsFor(3, 16, 3)).toBe(4);
  });

  it('a CPU run counts itself as a busy core while it trains and analyses, and leaves the count as it was', async () => {
    const load = new Int32Array(new SharedArrayBuffer(8));
    load[0] = 1; // a GPU run in its diagnostics elsewhere: untouched by a CPU run
    load[1] = 2; // two other CPU runs
    const seen = { epoch: new Set<number>(), diagnostics: new Set<number>() };
    const out = await runUnit(cfg, 'const', 3, {
      emit: (m) => {
        if (m.type === 'epoch') seen.epoch.add(load[1]!);
        if (m.type === 'diagnostics') seen.diagnostics.add(load[1]!);
      },
    }, { diagnosticsLoad: load });
    expect(out.diagnosticsStatus).toBe('done');
    expect([...seen.epoch]).toEqual([3]);
    expect([...seen.diagnostics]).toEqual([3]);
    expect([load[0], load[1]]).toEqual([1, 2]);
  });
});
