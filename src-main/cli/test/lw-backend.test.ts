/**
 * The backend from the command line (issue 6): `lw run --backend webgpu` is
 * refused, exit 2, with the service's own words (webgpuProblem: the field,
 * and the adapter or why there is none) where no adapter gives a device, and
 * accepted on any adapter that does; runs report the backend and adapter
 * they used (runExperiment on the fake-GPU worker entry,
 * src-workers/tasks/test/fake-gpu-worker.mjs).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRESETS } from '../../../src-shared/presets';
import { webgpuProblem, type WebGpuProbe } from '../../../src-workers/backends/select';
import { memoryIO } from '../io';
import { runCli } from '../lw';
import { runExperiment } from '../run-experiment';

const FAKE_GPU_WORKER = fileURLToPath(new URL('../../../src-workers/tasks/test/fake-gpu-worker.mjs', import.meta.url));
const none: WebGpuProbe = { available: false, fallback: false, vendor: '', architecture: '', description: '', reason: "no WebGPU adapter (Couldn't load Vulkan)" };
const noDevice: WebGpuProbe = { available: false, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', reason: 'requestDevice failed: out of memory' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lw-backend-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tiny = { ...PRESETS.smoke, Nseq_train: 16, Nseq_diag: 16, T: 24, lag_max: 12, task_lags: [2, 4], task_coeffs: [0.6, 0.5], epochs: 2 };

describe('lw run --backend webgpu', () => {
  for (const [what, probe] of [['no adapter', none], ['an adapter without a device', noDevice]] as const) {
    it(`${what}: refused with the service's message, exit 2, nothing run or stored`, async () => {
      const io = { ...memoryIO(), webgpuProbe: async () => probe };
      const out = join(dir, `refused-${probe.vendor || 'none'}`);
      const code = await runCli(['run', '--preset', 'smoke', '--backend', 'webgpu', '--out', out, '--data-dir', join(dir, 'data')], io);
      expect(code).toBe(2);
      expect(io.stderr).toEqual([`lw run: ${webgpuProblem(probe)!.message}`]);
      expect(io.stderr[0]).toMatch(probe === none ? /no WebGPU adapter \(Couldn't load Vulkan\)/ : /WebGPU adapter NVIDIA H100 is not usable: requestDevice failed/);
      expect(io.stdout).toEqual([]); // no experiment id: nothing stored
      expect(readdirSync(dir)).not.toContain(`refused-${probe.vendor || 'none'}`);
    });
  }

  it('runs report the backend and adapter used, in the report and the progress lines', async () => {
    const lines: string[] = [];
    const report = await runExperiment({ ...tiny, backend: 'webgpu', models: ['const'], seeds: [1] }, {
      workers: 1, workerFile: FAKE_GPU_WORKER, log: (l) => lines.push(l), quiet: true, out: null,
    });
    expect(report.runs.map((r) => [r.status, r.backend, r.adapter])).toEqual([['done', 'webgpu', 'Fake GPU (test double)']]);
    expect(lines.some((l) => / done: 2 epochs .*\(async-\S+ on Fake GPU \(test double\)\)$/.test(l))).toBe(true);
  });

  it('auto whose GPU gives no device: the fallback is a line of the run\'s output', async () => {
    const lines: string[] = [];
    const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100' };
    const report = await runExperiment({ ...tiny, backend: 'auto', models: ['const'], seeds: [404], epochs: 1 }, {
      workers: 1, workerFile: FAKE_GPU_WORKER, log: (l) => lines.push(l), quiet: true, out: null, webgpuProbe: async () => hardware,
    });
    expect(report.runs.map((r) => [r.status, r.backend, r.adapter])).toEqual([['done', 'cpu', undefined]]);
    expect(lines).toContain('[const seed 404] webgpu → cpu: no WebGPU device: WebGPU is unavailable: no adapter (injected, seed 404)');
  });
});
