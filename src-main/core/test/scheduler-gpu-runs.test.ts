/**
 * The cap on concurrent GPU runs (scheduler option `gpuRuns`): each webgpu
 * run holds its own device and GPU memory, so at most `gpuRuns` runs whose
 * resolved backend is webgpu run at once; CPU runs queued after waiting GPU
 * runs take the free workers; a GPU run that ends in any way frees its place.
 *
 * Without a GPU: `auto` resolves to webgpu through a fake hardware probe, and
 * the worker entries are test doubles (src-workers/tasks/test/fake-gpu-worker.mjs:
 * the real task on a fake device, seed 404 gets none; fixtures/paced-worker.mjs:
 * timed epochs, no training; fixtures/faulty-worker.mjs: seed 666 throws,
 * 667 kills its worker). Concurrency is observed through the run-status
 * events (the backend stored when a run starts) and the scheduler's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-shared/api';
import type { ExperimentConfig } from '../../../src-shared/config';
import { PRESETS } from '../../../src-shared/presets';
import type { WebGpuProbe } from '../../../src-workers/backends/select';
import { parseServeOptions } from '../../cli/commands/serve';
import { memoryIO } from '../../cli/io';
import { runCli } from '../../cli/lw';
import { runExperiment } from '../../cli/run-experiment';
import { CLOSED_MESSAGE, DEFAULT_GPU_RUNS, MAX_GPU_RUNS, Scheduler } from '../scheduler';
import { createService } from '../service';
import { openStore } from '../store';
import {
  FAULTY_WORKER, isStatus, nextEvent, PACED_WORKER, pacedConfig, statuses, tempDir, testService, tinyConfig, until,
} from './service-helpers';

const FAKE_GPU_WORKER = fileURLToPath(new URL('../../../src-workers/tasks/test/fake-gpu-worker.mjs', import.meta.url));
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
const probe = async () => hardware;

/**
 * Replays run-status events: the runs running on the GPU (backend stored at
 * the start), the most at once, and the order runs started in. Also samples
 * the scheduler's own count at every event.
 */
function gpuMonitor(service: { subscribe(fn: (e: ApiEvent) => void): () => void; scheduler: Scheduler }) {
  const onGpu = new Set<number>();
  const m = { max: 0, maxSampled: 0, started: [] as number[], gpuStarted: [] as number[], stop: () => {} };
  m.stop = service.subscribe((e) => {
    m.maxSampled = Math.max(m.maxSampled, service.scheduler.runningOnGpu.length);
    if (e.type !== 'run-status') return;
    if (e.run.status === 'running') {
      m.started.push(e.run.id);
      if (e.run.backendUsed === 'webgpu') {
        onGpu.add(e.run.id);
        m.gpuStarted.push(e.run.id);
      }
    } else onGpu.delete(e.run.id);
    m.max = Math.max(m.max, onGpu.size);
  });
  return m;
}

describe('at most gpuRuns runs on the GPU', () => {
  it('workers 4, gpuRuns 1: one webgpu run at a time, in queue order; CPU runs overtake the waiting GPU runs; all finish', async () => {
    const s = testService({ workers: 4, gpuRuns: 1, workerFile: FAKE_GPU_WORKER, webgpuProbe: probe, paused: true });
    const mon = gpuMonitor(s);
    try {
      const gpu = await s.api.createExperiment({ name: 'gpu', preset: 'smoke', config: tinyConfig({ backend: 'auto', seeds: [1, 2, 3] }) });
      const cpu = await s.api.createExperiment({ name: 'cpu', preset: 'smoke', config: tinyConfig({ backend: 'cpu', seeds: [1, 2, 3] }) });
      await s.api.resumeQueue();
      await s.scheduler.drain();
      const g = (await s.api.getExperiment({ id: gpu.id })).runs;
      const c = (await s.api.getExperiment({ id: cpu.id })).runs;
      expect(g.map((r) => [r.status, r.backendUsed])).toEqual([['done', 'webgpu'], ['done', 'webgpu'], ['done', 'webgpu']]);
      expect(c.map((r) => [r.status, r.backendUsed])).toEqual([['done', 'cpu'], ['done', 'cpu'], ['done', 'cpu']]);
      expect(mon.max).toBe(1);
      expect(mon.maxSampled).toBe(1);
      expect(mon.gpuStarted).toEqual(g.map((r) => r.id)); // queue order among GPU runs
      // every CPU run started while the second GPU run was still waiting for the GPU
      const second = mon.started.indexOf(g[1]!.id);
      for (const r of c) expect(mon.started.indexOf(r.id)).toBeLessThan(second);
      // and GPU runs ran one after another: each started once the one before had finished
      for (let i = 1; i < g.length; i++) expect(g[i]!.startedAt!).toBeGreaterThanOrEqual(g[i - 1]!.finishedAt!);
      expect(s.scheduler.runningOnGpu).toEqual([]);
    } finally {
      mon.stop();
      await s.cleanup();
    }
  });

  it('a cap of 3 lets three GPU runs start at once (the observation sees concurrency when there is some)', async () => {
    const s = testService({ workers: 4, gpuRuns: 3, workerFile: PACED_WORKER, webgpuProbe: probe, paused: true });
    const mon = gpuMonitor(s);
    try {
      const e = await s.api.createExperiment({ name: 'gpu', config: pacedConfig(2000, 5, { backend: 'webgpu', seeds: [1, 2, 3, 4] }) });
      await s.api.resumeQueue();
      expect(s.scheduler.runningOnGpu).toEqual(e.runs.slice(0, 3).map((r) => r.id));
      expect(s.scheduler.running).toHaveLength(3); // a free worker, but the fourth run waits for the GPU
      await s.api.cancelExperiment({ id: e.id });
      await s.scheduler.drain();
      expect(mon.max).toBe(3);
      expect(statuses((await s.api.getExperiment({ id: e.id })).runs)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    } finally {
      mon.stop();
      await s.cleanup();
    }
  });

  it('setGpuRuns at run time starts waiting GPU runs at once; bad values are refused and change nothing', async () => {
    const s = testService({ workers: 4, gpuRuns: 1, workerFile: PACED_WORKER, webgpuProbe: probe });
    try {
      const e = await s.api.createExperiment({ name: 'gpu', config: pacedConfig(2000, 5, { backend: 'webgpu', seeds: [1, 2, 3] }) });
      const ids = e.runs.map((r) => r.id);
      await until(() => s.scheduler.running.length === 1, 5000, 'one run');
      await new Promise((r) => setTimeout(r, 100));
      expect(s.scheduler.runningOnGpu).toEqual([ids[0]]);
      for (const bad of [0, 65, 1.5, Number.NaN]) {
        expect(() => s.scheduler.setGpuRuns(bad)).toThrow(new RangeError(`gpuRuns must be an integer from 1 to 64 (got ${bad})`));
      }
      expect(s.scheduler.gpuRuns).toBe(1);
      s.scheduler.setGpuRuns(3);
      expect(s.scheduler.runningOnGpu).toEqual(ids);
      // a lower cap: running runs go on, and it holds for the next ones
      s.scheduler.setGpuRuns(1);
      expect(s.scheduler.runningOnGpu).toEqual(ids);
      await s.api.cancelExperiment({ id: e.id });
      await s.scheduler.drain();
    } finally {
      await s.cleanup();
    }
  });

  it('pause holds waiting GPU runs; resume starts them', async () => {
    const s = testService({ workers: 2, gpuRuns: 1, workerFile: PACED_WORKER, webgpuProbe: probe });
    try {
      const e = await s.api.createExperiment({ name: 'gpu', config: pacedConfig(30, 10, { backend: 'webgpu', seeds: [1, 2] }) });
      const [a, b] = e.runs;
      await until(() => s.scheduler.running.length === 1, 5000, 'one run');
      await s.api.pauseQueue();
      await nextEvent(s, isStatus(a!.id, 'done'));
      await new Promise((r) => setTimeout(r, 200));
      expect((await s.api.getRun({ runId: b!.id })).status).toBe('queued');
      await s.api.resumeQueue();
      await nextEvent(s, isStatus(b!.id, 'done'));
    } finally {
      await s.cleanup();
    }
  });
});

describe('a GPU run that ends in any way frees its place', () => {
  it('no device (failed): the next GPU run starts and finishes', async () => {
    const s = testService({ workers: 2, gpuRuns: 1, workerFile: FAKE_GPU_WORKER, webgpuProbe: probe });
    try {
      const e = await s.api.createExperiment({ name: 'gpu', preset: 'smoke', config: tinyConfig({ backend: 'webgpu', seeds: [404, 1], epochs: 1 }) });
      await s.scheduler.drain();
      const runs = (await s.api.getExperiment({ id: e.id })).runs;
      expect(runs.map((r) => [r.seed, r.status, r.backendUsed])).toEqual([[404, 'failed', 'webgpu'], [1, 'done', 'webgpu']]);
      expect(runs[1]!.startedAt!).toBeGreaterThanOrEqual(runs[0]!.finishedAt!);
    } finally {
      await s.cleanup();
    }
  });

  it('a task that throws and a worker that exits: each frees the GPU for the next', async () => {
    const s = testService({ workers: 3, gpuRuns: 1, workerFile: FAULTY_WORKER, webgpuProbe: probe });
    const mon = gpuMonitor(s);
    try {
      const e = await s.api.createExperiment({ name: 'gpu', preset: 'smoke', config: tinyConfig({ backend: 'webgpu', models: ['const', 'gru'], seeds: [666, 667] }) });
      await s.scheduler.drain();
      const runs = (await s.api.getExperiment({ id: e.id })).runs;
      expect(runs.map((r) => r.status)).toEqual(['failed', 'failed', 'failed', 'failed']);
      expect(runs.filter((r) => r.seed === 667).map((r) => r.error)).toEqual([
        'the worker stopped unexpectedly (worker exited with code: 7)', 'the worker stopped unexpectedly (worker exited with code: 7)',
      ]);
      expect(mon.max).toBe(1);
      expect(mon.gpuStarted).toEqual(runs.map((r) => r.id));
    } finally {
      mon.stop();
      await s.cleanup();
    }
  });

  it('cancelled: the next GPU run starts', async () => {
    const s = testService({ workers: 2, gpuRuns: 1, workerFile: PACED_WORKER, webgpuProbe: probe });
    try {
      const e = await s.api.createExperiment({ name: 'gpu', config: pacedConfig(2000, 5, { backend: 'webgpu', seeds: [1, 2] }) });
      const [a, b] = e.runs;
      await until(() => s.scheduler.isRunning(a!.id), 5000, 'the first run');
      expect(s.scheduler.isRunning(b!.id)).toBe(false);
      const bStarts = nextEvent(s, isStatus(b!.id, 'running'));
      await s.api.cancelRun({ runId: a!.id });
      await bStarts;
      expect((await s.api.getRun({ runId: a!.id })).status).toBe('cancelled');
      await s.api.cancelRun({ runId: b!.id });
      await s.scheduler.drain();
    } finally {
      await s.cleanup();
    }
  });

  it('closed: running GPU runs are interrupted, queued ones stay queued; a new service runs them all, one at a time', async () => {
    const t = tempDir();
    try {
      const s1 = createService({ dataDir: t.dir, host: 'web', workers: 3, gpuRuns: 1, workerFile: PACED_WORKER, webgpuProbe: probe, warn: () => {} });
      const e = await s1.api.createExperiment({ name: 'closing', config: pacedConfig(20, 10, { backend: 'webgpu', seeds: [1, 2, 3] }) });
      const ids = e.runs.map((r) => r.id);
      await until(() => s1.scheduler.isRunning(ids[0]!), 5000, 'the first run');
      await s1.close();
      const s2 = createService({ dataDir: t.dir, host: 'web', workers: 3, gpuRuns: 1, workerFile: PACED_WORKER, webgpuProbe: probe, warn: () => {}, paused: true });
      const mon = gpuMonitor(s2);
      try {
        const before = (await s2.api.getExperiment({ id: e.id })).runs;
        expect(before.map((r) => r.status)).toEqual(['interrupted', 'queued', 'queued']);
        expect(before[0]!.error).toBe(CLOSED_MESSAGE);
        await s2.api.resumeExperiment({ id: e.id });
        await s2.api.resumeQueue();
        await s2.scheduler.drain();
        expect(statuses((await s2.api.getExperiment({ id: e.id })).runs)).toEqual(['done', 'done', 'done']);
        expect(mon.max).toBe(1);
        expect(mon.gpuStarted).toEqual(ids);
      } finally {
        mon.stop();
        await s2.close();
      }
    } finally {
      t.cleanup();
    }
  });
});

describe('gpuRuns values', () => {
  it('the scheduler and the service refuse anything but an integer from 1 to 64, naming the option', async () => {
    expect([DEFAULT_GPU_RUNS, MAX_GPU_RUNS]).toEqual([4, 64]);
    const t = tempDir();
    const store = openStore({ dataDir: t.dir });
    try {
      for (const bad of [0, -1, 65, 2.5, Number.POSITIVE_INFINITY]) {
        expect(() => new Scheduler({ store, workers: 1, gpuRuns: bad })).toThrow(new RangeError(`gpuRuns must be an integer from 1 to 64 (got ${bad})`));
        expect(() => createService({ store, host: 'web', workers: 1, gpuRuns: bad, warn: () => {} })).toThrow(/^gpuRuns must be an integer from 1 to 64/);
      }
      const ok = new Scheduler({ store, workers: 1 });
      expect(ok.gpuRuns).toBe(4);
      await ok.close();
      const edge = new Scheduler({ store, workers: 1, gpuRuns: 64 });
      expect(edge.gpuRuns).toBe(64);
      await edge.close();
    } finally {
      store.close();
      t.cleanup();
    }
  });
});

describe('--gpu-runs on the command line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lw-gpu-runs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...argv: string[]) {
    const io = memoryIO();
    const code = await runCli(argv, io);
    return { code, stdout: io.stdout.join('\n'), stderr: io.stderr };
  }

  it('lw run, lw resume and lw serve refuse a bad value with exit 2 and a line naming the flag and the range', async () => {
    for (const bad of ['0', '65', 'two', '1.5', '-3']) {
      const msg = `--gpu-runs must be an integer from 1 to 64 (got ${JSON.stringify(bad)})`;
      const run = await cli('run', '--preset', 'smoke', '--dry-run', '--gpu-runs', bad);
      expect([run.code, run.stderr]).toEqual([2, [`lw run: ${msg}`]]);
      const resume = await cli('resume', '--data-dir', join(dir, 'none'), '--gpu-runs', bad);
      expect([resume.code, resume.stderr]).toEqual([2, [`lw resume: ${msg}`]]);
      expect(parseServeOptions({ gpuRuns: bad })).toEqual({ ok: false, message: msg });
      const serve = await cli('serve', '--data-dir', join(dir, 'none'), '--gpu-runs', bad);
      expect([serve.code, serve.stderr]).toEqual([2, [`lw serve: ${msg}`]]);
    }
  });

  it('good values: lw run --dry-run shows it (default 4); lw serve passes it to the service', async () => {
    const d = await cli('run', '--preset', 'smoke', '--dry-run', '--gpu-runs', '2');
    expect([d.code, JSON.parse(d.stdout).gpuRuns]).toEqual([0, 2]);
    expect(JSON.parse((await cli('run', '--preset', 'smoke', '--dry-run')).stdout).gpuRuns).toBe(4);
    expect(parseServeOptions({ gpuRuns: ' 64 ', workers: '8' })).toEqual({ ok: true, port: 0, host: '127.0.0.1', workers: 8, gpuRuns: 64 });
    expect(parseServeOptions({ gpuRuns: '1' })).toEqual({ ok: true, port: 0, host: '127.0.0.1', gpuRuns: 1 });
  });

  it('lw run\'s engine with gpuRuns 1: the stored GPU runs never overlap', async () => {
    const store = openStore({ dataDir: join(dir, 'data') });
    try {
      const cfg = { ...PRESETS.smoke, ...tinyConfig({ backend: 'auto', models: ['const', 'gru'], seeds: [1, 2], epochs: 1 }) } as ExperimentConfig;
      const report = await runExperiment(cfg, {
        store, workers: 3, gpuRuns: 1, workerFile: FAKE_GPU_WORKER, webgpuProbe: probe, quiet: true, out: null, diagnostics: false,
      });
      expect(report.runs.map((r) => [r.status, r.backend])).toEqual([['done', 'webgpu'], ['done', 'webgpu'], ['done', 'webgpu'], ['done', 'webgpu']]);
      const runs = store.listRuns(report.experimentId).slice().sort((a, b) => a.startedAt! - b.startedAt! || a.finishedAt! - b.finishedAt!);
      for (let i = 1; i < runs.length; i++) expect(runs[i]!.startedAt!).toBeGreaterThanOrEqual(runs[i - 1]!.finishedAt!);
    } finally {
      store.close();
    }
  });
});
