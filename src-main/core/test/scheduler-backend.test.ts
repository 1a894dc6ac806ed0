/**
 * The backend of each run, end to end without a GPU (issue 6): the scheduler
 * resolves the configuration's backend (selectBackend), passes it to the
 * worker, and stores the backend used and the adapter with the run. The
 * worker entry is the real unit task with a fake GPU backend
 * (src-workers/tasks/test/fake-gpu-worker.mjs: a CPU model behind the
 * asynchronous GPU-model contract, adapter FAKE_ADAPTER; seed 404 gets no
 * device), so a "webgpu" run trains the same float32 arithmetic as a CPU run
 * and must give its learning curve bit for bit.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WebGpuProbe } from '../../../src-workers/backends/select';
import { testService, tinyConfig } from './service-helpers';

const FAKE_GPU_WORKER = fileURLToPath(new URL('../../../src-workers/tasks/test/fake-gpu-worker.mjs', import.meta.url));
const FAKE_ADAPTER = 'Fake GPU (test double)';
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
const software: WebGpuProbe = { available: true, fallback: true, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
const none: WebGpuProbe = { available: false, fallback: false, vendor: '', architecture: '', description: '', reason: 'no WebGPU adapter' };

async function backendEvents(s: ReturnType<typeof testService>, runId: number): Promise<string[]> {
  return (await s.api.listRunEvents({ runId })).filter((e) => e.kind === 'backend').map((e) => e.message);
}

describe('the backend of a run', () => {
  it('explicit webgpu and cpu: each run stores the backend used and the adapter; the GPU-path curve is the CPU one', async () => {
    const s = testService({ workers: 2, workerFile: FAKE_GPU_WORKER, webgpuProbe: async () => software });
    try {
      const gpu = await s.api.createExperiment({ name: 'gpu', preset: 'smoke', config: tinyConfig({ backend: 'webgpu', models: ['const', 'gru'] }) });
      const cpu = await s.api.createExperiment({ name: 'cpu', preset: 'smoke', config: tinyConfig({ backend: 'cpu', models: ['const', 'gru'] }) });
      await s.scheduler.drain();
      const g = (await s.api.getExperiment({ id: gpu.id })).runs;
      const c = (await s.api.getExperiment({ id: cpu.id })).runs;
      expect(g.map((r) => [r.status, r.backend, r.backendUsed, r.adapter])).toEqual([
        ['done', 'webgpu', 'webgpu', FAKE_ADAPTER], ['done', 'webgpu', 'webgpu', FAKE_ADAPTER],
      ]);
      expect(c.map((r) => [r.status, r.backend, r.backendUsed, r.adapter])).toEqual([['done', 'cpu', 'cpu', null], ['done', 'cpu', 'cpu', null]]);
      expect(g.every((r) => r.kernels!.startsWith('async-'))).toBe(true);
      for (let i = 0; i < 2; i++) {
        const rg = (await s.api.getRunResult({ runId: g[i]!.id }))!;
        const rc = (await s.api.getRunResult({ runId: c[i]!.id }))!;
        expect([rg.backend, rg.adapter, rc.backend, rc.adapter]).toEqual(['webgpu', FAKE_ADAPTER, 'cpu', undefined]);
        expect(rg.curve).toEqual(rc.curve);
        expect(rg.diagnostics!.summary).toEqual(rc.diagnostics!.summary);
        expect(await backendEvents(s, g[i]!.id)).toEqual([]); // explicit: nothing to explain
      }
    } finally {
      await s.cleanup();
    }
  });

  it('auto with a hardware adapter runs on webgpu, logged with the reason; the probe\'s adapter is stored at the start', async () => {
    const s = testService({ workers: 1, workerFile: FAKE_GPU_WORKER, webgpuProbe: async () => hardware });
    try {
      const e = await s.api.createExperiment({ name: 'auto', preset: 'smoke', config: tinyConfig({ backend: 'auto', epochs: 1 }) });
      const run = e.runs[0]!;
      await s.scheduler.drain();
      const running = s.events.find((ev) => ev.type === 'run-status' && ev.run.id === run.id && ev.run.status === 'running');
      const started = running?.type === 'run-status' ? { backendUsed: running.run.backendUsed, adapter: running.run.adapter } : null;
      expect(started).toEqual({ backendUsed: 'webgpu', adapter: 'NVIDIA H200' });
      const r = await s.api.getRun({ runId: run.id });
      expect([r.status, r.backendUsed, r.adapter]).toEqual(['done', 'webgpu', FAKE_ADAPTER]);
      expect(await backendEvents(s, run.id)).toEqual(['backend auto → webgpu: hardware WebGPU adapter: NVIDIA H200']);
    } finally {
      await s.cleanup();
    }
  });

  it('auto whose GPU gives no device falls back to the CPU, logged; explicit webgpu fails with the reason', async () => {
    const s = testService({ workers: 2, workerFile: FAKE_GPU_WORKER, webgpuProbe: async () => hardware });
    try {
      const auto = await s.api.createExperiment({ name: 'auto', preset: 'smoke', config: tinyConfig({ backend: 'auto', seeds: [404], epochs: 1 }) });
      const gpu = await s.api.createExperiment({ name: 'gpu', preset: 'smoke', config: tinyConfig({ backend: 'webgpu', seeds: [404], epochs: 1 }) });
      await s.scheduler.drain();
      const a = await s.api.getRun({ runId: auto.runs[0]!.id });
      expect([a.status, a.backendUsed, a.adapter, a.kernels?.startsWith('async-')]).toEqual(['done', 'cpu', null, false]);
      expect(await backendEvents(s, a.id)).toEqual([
        'backend auto → webgpu: hardware WebGPU adapter: NVIDIA H200',
        'webgpu → cpu: no WebGPU device: WebGPU is unavailable: no adapter (injected, seed 404)',
      ]);
      const g = await s.api.getRun({ runId: gpu.runs[0]!.id });
      expect([g.status, g.backendUsed, g.hasResult]).toEqual(['failed', 'webgpu', false]);
      expect(g.error).toBe('no WebGPU device: WebGPU is unavailable: no adapter (injected, seed 404)');
    } finally {
      await s.cleanup();
    }
  });

  it('auto with only a software adapter, or none, stays on the CPU', async () => {
    for (const probe of [software, none]) {
      const s = testService({ workers: 1, workerFile: FAKE_GPU_WORKER, webgpuProbe: async () => probe });
      try {
        const e = await s.api.createExperiment({ name: 'auto', preset: 'smoke', config: tinyConfig({ backend: 'auto', epochs: 1 }) });
        await s.scheduler.drain();
        const r = await s.api.getRun({ runId: e.runs[0]!.id });
        expect([r.status, r.backendUsed, r.adapter]).toEqual(['done', 'cpu', null]);
        expect(await backendEvents(s, r.id)).toEqual([
          probe === software ? 'backend auto → cpu: only a software adapter: SwiftShader driver 5.0.0' : 'backend auto → cpu: no WebGPU adapter',
        ]);
      } finally {
        await s.cleanup();
      }
    }
  });

  it('explicit webgpu without any adapter is refused when the experiment is made, naming the field', async () => {
    const s = testService({ paused: true, webgpuProbe: async () => none });
    try {
      const err = await s.api.createExperiment({ name: 'x', preset: 'smoke', config: { backend: 'webgpu' } }).then(() => null, (x: unknown) => x);
      expect(err).toMatchObject({ code: 'invalid', fields: [{ field: 'backend', message: 'backend webgpu is not available here (no WebGPU adapter): use auto or cpu' }] });
    } finally {
      await s.cleanup();
    }
  });
});
