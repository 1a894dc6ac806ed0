/**
 * Backends through the service (DESIGN.md §3, §6): getSystemInfo reports the
 * detected WebGPU adapter (SwiftShader through Debian chromium's ICD, or none
 * with the reason), explicit `backend: webgpu` is accepted on any adapter that
 * gives a device and refused, naming the field and the reason, where none
 * does, and a run that asked for `auto` logs the selection and why
 * (scheduler-backend.test.ts follows runs onto a fake GPU).
 * The probe runs in a child process with the environment given here, so the
 * Vulkan variables apply; CI installs chromium (.ci/run).
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/api';
import type { WebGpuProbe } from '../../../src-workers/backends/select';
import { runWebGpuProbe } from '../../../src-workers/backends/webgpu/probe';
import { PACED_WORKER, pacedConfig, testService } from './service-helpers';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const swiftshaderProbe = () => runWebGpuProbe({ env: { ...process.env, VK_ICD_FILENAMES: ICD, LD_LIBRARY_PATH: '/usr/lib/chromium' } });
const noDriverProbe = () => runWebGpuProbe({ env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/lw-no-icd.json', LD_LIBRARY_PATH: '/usr/lib/chromium' } });
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };

async function invalid(p: Promise<unknown>): Promise<ApiError> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).code).toBe('invalid');
  return err as ApiError;
}

describe('getSystemInfo backends', () => {
  it('SwiftShader: the adapter is described as a software fallback, usable by explicit webgpu runs', async () => {
    expect(existsSync(ICD), `${ICD} is missing: install Debian's chromium (CI's .ci/run does)`).toBe(true);
    const s = testService({ paused: true, webgpuProbe: swiftshaderProbe });
    try {
      const info = await s.api.getSystemInfo();
      expect(info.backends.map((b) => [b.name, b.available])).toEqual([['cpu', true], ['webgpu', true]]);
      const w = info.backends[1]!;
      expect(w.fallback).toBe(true);
      expect(w.description).toContain('SwiftShader driver 5.0.0');
      expect(w.description).toContain('software fallback adapter, never picked by auto');
    } finally {
      await s.cleanup();
    }
  });

  it('no driver: no adapter, with the reason', async () => {
    const s = testService({ paused: true, webgpuProbe: noDriverProbe });
    try {
      const w = (await s.api.getSystemInfo()).backends.find((b) => b.name === 'webgpu')!;
      expect(w.available).toBe(false);
      expect(w.fallback).toBeUndefined();
      expect(w.description).toMatch(/^WebGPU: no WebGPU adapter/);
    } finally {
      await s.cleanup();
    }
  });
});

describe('backend selection', () => {
  it('explicit webgpu: accepted on SwiftShader (correctness runs); refused without a driver, naming the field and the reason', async () => {
    const ok = testService({ paused: true, webgpuProbe: swiftshaderProbe });
    try {
      const e = await ok.api.createExperiment({ name: 'x', preset: 'smoke', config: { backend: 'webgpu' } });
      expect(e.runs.every((r) => r.backend === 'webgpu' && r.status === 'queued' && r.backendUsed === null)).toBe(true);
    } finally {
      await ok.cleanup();
    }
    const s = testService({ paused: true, webgpuProbe: noDriverProbe });
    try {
      const err = await invalid(s.api.createExperiment({ name: 'x', preset: 'smoke', config: { backend: 'webgpu' } }));
      expect(err.fields).toHaveLength(1);
      expect(err.fields![0]!.field).toBe('backend');
      expect(err.fields![0]!.message).toMatch(/^backend webgpu is not available here \(no WebGPU adapter.*\): use auto or cpu$/);
      const v = await s.api.validateConfig({ preset: 'smoke', config: { backend: 'webgpu' } });
      expect(v.ok === false && v.errors.map((e) => e.field)).toEqual(['backend']);
      await invalid(s.api.estimateRuns({ preset: 'smoke', config: { backend: 'webgpu' } }));
      expect((await s.api.listExperiments({})).total).toBe(0);
    } finally {
      await s.cleanup();
    }
  });

  it('an auto run logs the selection and its reason; a cpu run logs none; the probe is asked once', async () => {
    let calls = 0;
    const s = testService({ workers: 2, workerFile: PACED_WORKER, webgpuProbe: async () => (calls++, hardware) });
    try {
      const auto = await s.api.createExperiment({ name: 'auto', config: pacedConfig(2, 5, { backend: 'auto', seeds: [1, 2, 3] }) });
      const cpu = await s.api.createExperiment({ name: 'cpu', config: pacedConfig(2, 5, { backend: 'cpu' }) });
      await s.scheduler.drain();
      for (const r of auto.runs) {
        const ev = (await s.api.listRunEvents({ runId: r.id })).filter((e) => e.kind === 'backend');
        expect(ev.map((e) => e.message)).toEqual(['backend auto → webgpu: hardware WebGPU adapter: NVIDIA H200']);
        expect(ev[0]!.data).toMatchObject({ requested: 'auto', backend: 'webgpu', adapter: { description: 'NVIDIA H200', fallback: false } });
      }
      expect((await s.api.listRunEvents({ runId: cpu.runs[0]!.id })).some((e) => e.kind === 'backend')).toBe(false);
      expect(calls).toBe(1);
    } finally {
      await s.cleanup();
    }
  });

  it('cpu runs never wait for the probe; a probe that throws leaves auto runs on the CPU with the reason', async () => {
    const never = testService({ workers: 1, workerFile: PACED_WORKER, webgpuProbe: () => new Promise<WebGpuProbe>(() => {}) });
    try {
      const e = await never.api.createExperiment({ name: 'cpu', config: pacedConfig(1, 5, { backend: 'cpu' }) });
      await never.scheduler.drain();
      expect((await never.api.getRun({ runId: e.runs[0]!.id })).status).toBe('done');
    } finally {
      await never.cleanup();
    }
    const s = testService({ workers: 1, workerFile: PACED_WORKER, webgpuProbe: () => Promise.reject(new Error('boom')) });
    try {
      const e = await s.api.createExperiment({ name: 'auto', config: pacedConfig(1, 5) });
      await s.scheduler.drain();
      expect((await s.api.getRun({ runId: e.runs[0]!.id })).status).toBe('done');
      const ev = (await s.api.listRunEvents({ runId: e.runs[0]!.id })).filter((x) => x.kind === 'backend');
      expect(ev.map((x) => x.message)).toEqual(['backend auto → cpu: no WebGPU adapter (the WebGPU probe failed: boom)']);
    } finally {
      await s.cleanup();
    }
  });

  it('an auto run on SwiftShader stays on the CPU: only a software adapter', async () => {
    const s = testService({ workers: 1, workerFile: PACED_WORKER, webgpuProbe: swiftshaderProbe });
    try {
      const e = await s.api.createExperiment({ name: 'auto', config: pacedConfig(1, 5) });
      await s.scheduler.drain();
      const ev = (await s.api.listRunEvents({ runId: e.runs[0]!.id })).filter((x) => x.kind === 'backend');
      expect(ev.map((x) => x.message)).toEqual(['backend auto → cpu: only a software adapter: SwiftShader driver 5.0.0']);
    } finally {
      await s.cleanup();
    }
  });
});
