/**
 * GPU kernel tunings in the scheduler, without a GPU:
 *  - webgpu runs are handed the stored tunings of their (arch, D, H,
 *    layernorm, batch) and store
 *    the kernel shape they used; a tuned shape the device refuses is logged
 *    as a 'kernel' event and the run completes on the defaults; CPU runs get
 *    none;
 *  - tuneGpu is refused (tuningRefusal, the same words) while a run is on
 *    the GPU — this scheduler's, or one another process marked running on
 *    webgpu in the store — or a tuning runs; while it runs webgpu runs wait
 *    (CPU runs go on, the tuning holding one worker) and drain() waits for
 *    it; it stores the best shapes (a sweep cut short only where its key has
 *    none; a software adapter's only when allowed); a failure, a cancel and
 *    close() release the hold.
 *
 * Worker entries: src-workers/tasks/test/fake-tune-worker.mjs (units on a fake
 * GPU backend whose models report their kernel shape and refuse a workgroup
 * size above FAKE_MAX_WG; tunings by the fake tuner of test/fake-tuning.ts,
 * whose request markers choose its behaviour) and fixtures/paced-worker.mjs
 * (units of known duration).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ExperimentConfig } from '../../../src-shared/config';
import type { TuneGpuRequest, TuneProgress } from '../../../src-shared/gpu-tuning';
import { PRESETS } from '../../../src-shared/presets';
import type { WebGpuProbe } from '../../../src-workers/backends/select';
import {
  FAKE_ADAPTER, FAKE_BEST, FAKE_DEFAULT_SHAPE, FAKE_H_REFUSED, FAKE_REPS_ENDLESS, FAKE_REPS_FAIL, FAKE_REPS_SLOW, FAKE_REPS_SOFTWARE,
  FAKE_REPS_SOFTWARE_UNCHECKED,
} from '../../../src-workers/tasks/test/fake-tuning';
import { Scheduler, type SchedulerOptions } from '../scheduler';
import { openStore, type RunTuningKey, type Store } from '../store';
import { PACED_WORKER, pacedConfig, tempDir, tinyConfig, until } from './service-helpers';

const FAKE_TUNE_WORKER = fileURLToPath(new URL('../../../src-workers/tasks/test/fake-tune-worker.mjs', import.meta.url));
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };

let t: ReturnType<typeof tempDir>;
let store: Store;
const schedulers: Scheduler[] = [];
beforeEach(() => {
  t = tempDir();
  store = openStore({ path: join(t.dir, 'workstation.db') });
});
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.close()));
  store.close();
  t.cleanup();
});

function scheduler(opts: Partial<SchedulerOptions> = {}): Scheduler {
  const s = new Scheduler({ store, workers: 2, workerFile: FAKE_TUNE_WORKER, backendProbe: async () => hardware, warn: () => {}, ...opts });
  schedulers.push(s);
  s.start();
  return s;
}

/** A queued experiment (the smoke preset cut down) and the scheduler told about it. */
function experiment(s: Scheduler, name: string, over: Partial<ExperimentConfig>) {
  const e = store.createExperiment(name, { ...PRESETS.smoke, ...tinyConfig(over) });
  s.pump();
  return e;
}

/** The tuning key of a run of the smoke preset (D 4, H 8, layernorm, batch 16). */
const key = (arch: RunTuningKey['arch']): RunTuningKey => ({ arch, D: PRESETS.smoke.D, H: PRESETS.smoke.H, layernorm: PRESETS.smoke.layernorm, batch: PRESETS.smoke.batch_size });

function request(over: Partial<TuneGpuRequest> = {}): TuneGpuRequest {
  const { D, H, layernorm, const_s: constS } = PRESETS.smoke;
  return { models: [{ arch: 'gru', D, H, layernorm, constS }, { arch: 'lstm', D, H, layernorm, constS }], batch: PRESETS.smoke.batch_size, T: 8, budgetSeconds: 10, reps: 1, ...over };
}

/** Whether a tuning was active when each run was marked running (the scheduler's run-status events, as they are emitted). */
function tuningAtStart(s: Scheduler): Map<number, boolean> {
  const at = new Map<number, boolean>();
  s.events.subscribe((e) => {
    if (e.type === 'run-status' && e.run.status === 'running') at.set(e.run.id, s.tuningActive);
  });
  return at;
}

const kernelEvents = (runId: number) => store.listRunEvents(runId).filter((e) => e.kind === 'kernel').map((e) => e.message);

describe('webgpu runs use the stored tunings of their key', () => {
  it('the tuning of the run\'s key and device is used and stored with the run; a refused one falls back with a note; CPU runs get none', async () => {
    const tuned = { workgroupSize: 32, seqsPerWorkgroup: 4, unroll: 1 } as const;
    store.saveGpuTunings([
      { ...key('gru'), adapter: FAKE_ADAPTER, shape: tuned, stepMs: 1, defaultStepMs: 2, T: 48, tried: 5 },
      { ...key('gru'), adapter: 'NVIDIA H200', shape: { workgroupSize: 256, seqsPerWorkgroup: 8, unroll: 4 }, stepMs: 1, defaultStepMs: 2, T: 48, tried: 5 },
      { ...key('gru'), batch: 32, adapter: FAKE_ADAPTER, shape: { workgroupSize: 128, seqsPerWorkgroup: 1, unroll: 1 }, stepMs: 1, defaultStepMs: 2, T: 48, tried: 5 },
      // a stale tuning: the device refuses a workgroup of 1024
      { ...key('lstm'), adapter: FAKE_ADAPTER, shape: { workgroupSize: 1024, seqsPerWorkgroup: 1, unroll: 'auto' }, stepMs: 1, defaultStepMs: 2, T: 48, tried: 5 },
    ]);
    const s = scheduler();
    const gpu = experiment(s, 'gpu', { backend: 'webgpu', models: ['gru', 'lstm', 'const'] });
    const cpu = experiment(s, 'cpu', { backend: 'cpu', models: ['gru'] });
    await s.drain();
    const [gru, lstm, con] = store.listRuns(gpu.id);
    expect([gru, lstm, con].map((r) => [r!.status, r!.backendUsed, r!.adapter])).toEqual([
      ['done', 'webgpu', FAKE_ADAPTER], ['done', 'webgpu', FAKE_ADAPTER], ['done', 'webgpu', FAKE_ADAPTER],
    ]);
    expect(gru!.kernelShape).toEqual({ ...tuned, source: 'tuned' });
    expect(store.getRunResult(gru!.id)!.kernelShape).toEqual({ ...tuned, source: 'tuned' });
    expect(lstm!.kernelShape).toEqual({ ...FAKE_DEFAULT_SHAPE, source: 'default' });
    expect(con!.kernelShape).toEqual({ ...FAKE_DEFAULT_SHAPE, source: 'default' });
    expect(kernelEvents(gru!.id)).toEqual([]);
    expect(kernelEvents(lstm!.id)).toEqual([expect.stringContaining(`the stored kernel tuning for ${FAKE_ADAPTER} (S 1, WG 1024, unroll auto) was refused by the device`)]);
    const c = store.listRuns(cpu.id)[0]!;
    expect([c.status, c.backendUsed, c.kernelShape]).toEqual(['done', 'cpu', null]);
  });

  it('a lookup that throws is reported and the run uses the defaults', async () => {
    const warnings: string[] = [];
    vi.spyOn(store, 'runTuningsFor').mockImplementation(() => { throw new Error('database is locked'); });
    const s = scheduler({ warn: (m) => warnings.push(m) });
    const gpu = experiment(s, 'gpu', { backend: 'webgpu', models: ['const'] });
    await s.drain();
    const r = store.listRuns(gpu.id)[0]!;
    expect([r.status, r.kernelShape]).toEqual(['done', { ...FAKE_DEFAULT_SHAPE, source: 'default' }]);
    expect(warnings).toEqual([`reading the GPU kernel tunings of run ${r.id}: database is locked (it uses the default kernel shape)`]);
  });
});

describe('tuneGpu', () => {
  it('stores the best shape of each model shape measured (key: the output\'s adapter and batch), and returns them with the output', async () => {
    const s = scheduler({ paused: true });
    const seen: TuneProgress[] = [];
    const models = [...request().models, { arch: 'diag' as const, D: 4, H: FAKE_H_REFUSED, layernorm: false, constS: 0.05 }];
    const res = await s.tuneGpu(request({ models }), (p) => seen.push(p));
    expect(seen).toHaveLength(12);
    expect(res.cancelled).toBe(false);
    expect(res.results.map((r) => r.best)).toEqual([FAKE_BEST('gru'), FAKE_BEST('lstm'), null]);
    const stored = store.listGpuTunings();
    expect(res.stored).toEqual([stored.find((r) => r.arch === 'gru'), stored.find((r) => r.arch === 'lstm')]);
    expect(stored.map(({ id: _i, tunedAt: _t, ...r }) => r)).toEqual([
      { ...key('gru'), adapter: FAKE_ADAPTER, shape: FAKE_BEST('gru'), stepMs: 1, defaultStepMs: 2, T: 8, tried: 4 },
      { ...key('lstm'), adapter: FAKE_ADAPTER, shape: FAKE_BEST('lstm'), stepMs: 2, defaultStepMs: 3, T: 8, tried: 4 },
    ]);
    expect(s.tuningActive).toBe(false);
    // a second measurement replaces the first
    const again = await s.tuneGpu(request({ models: [request().models[0]!], T: 24 }));
    expect(again.stored).toEqual([expect.objectContaining({ id: res.stored[0]!.id, arch: 'gru', T: 24 })]);
    expect(store.listGpuTunings()).toHaveLength(2);
  });

  it('is refused while a run is on the GPU (the queue may be paused so that they finish), and while a tuning runs', async () => {
    const paced = scheduler({ workerFile: PACED_WORKER });
    const e = store.createExperiment('gpu', pacedConfig(500, 10, { backend: 'webgpu', seeds: [1, 2] }));
    paced.pump();
    await until(() => paced.runningOnGpu.length === 2, 5000, 'two GPU runs');
    await expect(paced.tuneGpu(request())).rejects.toThrow('2 runs are using the GPU: tune when they have finished, or pause the queue');
    expect(paced.tuningActive).toBe(false);
    paced.cancelRun(e.runs[0]!.id);
    await until(() => paced.runningOnGpu.length === 1, 5000, 'one GPU run');
    await expect(paced.tuneGpu(request())).rejects.toThrow('1 run is using the GPU: tune when it has finished, or pause the queue');
    paced.cancelRun(e.runs[1]!.id);
    await paced.drain();

    const s = scheduler();
    const first = s.tuneGpu(request({ reps: FAKE_REPS_ENDLESS }));
    expect(s.tuningActive).toBe(true);
    await expect(s.tuneGpu(request())).rejects.toThrow('a GPU kernel tuning is running already: wait for it to end, or cancel it');
    expect(s.tuningRefusal()).toBe('a GPU kernel tuning is running already: wait for it to end, or cancel it');
    expect(s.cancelGpuTuning()).toBe(true);
    expect((await first).cancelled).toBe(true);
    expect(s.cancelGpuTuning()).toBe(false);
    expect(s.tuningRefusal()).toBeNull();
  });

  it('is refused while another process\'s runs are marked running on webgpu in the store (not its own, nor CPU ones)', async () => {
    const s = scheduler({ paused: true });
    expect(s.tuningRefusal()).toBeNull();
    // another process (the app, lw run) took these runs: the store says running; this scheduler runs none of them
    const e = store.createExperiment('elsewhere', { ...PRESETS.smoke, ...tinyConfig({ backend: 'webgpu', models: ['gru', 'lstm', 'const'] }) });
    store.setRunStatus(e.runs[0]!.id, 'running', { backendUsed: 'webgpu', adapter: 'NVIDIA H200' });
    store.setRunStatus(e.runs[1]!.id, 'running', { backendUsed: 'cpu' });
    const one = '1 run of another process (the app, lw run) is using the GPU: tune when it has finished, or pause its queue';
    expect(s.tuningRefusal()).toBe(one);
    await expect(s.tuneGpu(request())).rejects.toThrow(one);
    expect(s.tuningActive).toBe(false);
    store.setRunStatus(e.runs[2]!.id, 'running', { backendUsed: 'webgpu' });
    expect(s.tuningRefusal()).toBe('2 runs of other processes (the app, lw run) are using the GPU: tune when they have finished, or pause their queue');
    // they end: the tuning may start
    for (const r of [e.runs[0]!, e.runs[2]!]) store.setRunStatus(r.id, 'interrupted', { error: 'stopped' });
    expect(s.tuningRefusal()).toBeNull();
    expect((await s.tuneGpu(request({ models: [request().models[0]!] }))).stored).toHaveLength(1);
  });

  it('its own GPU runs are counted once (as this scheduler\'s), not as another process\'s', async () => {
    const paced = scheduler({ workerFile: PACED_WORKER });
    const e = store.createExperiment('gpu', pacedConfig(500, 10, { backend: 'webgpu' }));
    paced.pump();
    await until(() => paced.runningOnGpu.length === 1, 5000, 'the GPU run');
    expect(paced.tuningRefusal()).toBe('1 run is using the GPU: tune when it has finished, or pause the queue');
    paced.cancelRun(e.runs[0]!.id);
    await paced.drain();
    expect(paced.tuningRefusal()).toBeNull();
  });

  it('drain() waits for a running tuning', async () => {
    const s = scheduler({ paused: true });
    const tuning = s.tuneGpu(request({ reps: FAKE_REPS_SLOW }));
    let drained = false;
    const d = s.drain().then(() => void (drained = true));
    await new Promise((r) => setTimeout(r, 20));
    expect([drained, s.tuningActive]).toEqual([false, true]);
    await tuning;
    await d;
    expect(drained).toBe(true);
  });

  it('holds webgpu runs while it runs (CPU runs go on); cancelled, it stores the cut sweep (its key had no tuning) and the held run starts, with the new tuning', async () => {
    const s = scheduler({ workers: 3 });
    const atStart = tuningAtStart(s);
    const lines: TuneProgress[] = [];
    const tuning = s.tuneGpu(request({ reps: FAKE_REPS_ENDLESS }), (p) => lines.push(p));
    const gpu = experiment(s, 'gpu', { backend: 'webgpu', models: ['gru'] });
    const cpu = experiment(s, 'cpu', { backend: 'cpu', models: ['gru', 'lstm'] });
    // both CPU runs start and finish while the tuning runs; the GPU run waits in the queue
    await until(() => store.listRuns(cpu.id).every((r) => r.status === 'done'), 30_000, 'the CPU runs');
    expect(s.tuningActive).toBe(true);
    expect(store.listRuns(gpu.id)[0]!.status).toBe('queued');
    expect(s.running).toEqual([]);
    await until(() => lines.length >= 2, 5000, 'two configurations');
    s.cancelGpuTuning();
    const res = await tuning;
    expect(res.cancelled).toBe(true);
    expect(res.results.map((r) => r.model.arch)).toEqual(['gru']);
    expect(res.stored).toEqual([expect.objectContaining({ ...key('gru'), adapter: FAKE_ADAPTER, shape: FAKE_BEST('gru'), tried: res.results[0]!.tried })]);
    await s.drain();
    const run = store.listRuns(gpu.id)[0]!;
    expect(run.status).toBe('done');
    expect(run.kernelShape).toEqual({ ...FAKE_BEST('gru'), source: 'tuned' });
    // the CPU runs started during the tuning, the GPU run after it
    expect([...store.listRuns(cpu.id), run].map((r) => atStart.get(r.id))).toEqual([true, true, false]);
  });

  it('a sweep cut short by a cancel never replaces a complete tuning of its key (it is stored where there is none)', async () => {
    const s = scheduler({ paused: true });
    const complete = await s.tuneGpu(request({ models: [request().models[0]!] }));
    expect(complete.results[0]!.complete).toBe(true);
    const before = store.listGpuTunings();
    expect(before).toHaveLength(1);
    // endless: the gru sweep is cancelled after two configurations, T differs so a replacement would show
    const lines: TuneProgress[] = [];
    const cut = s.tuneGpu(request({ models: [request().models[0]!], reps: FAKE_REPS_ENDLESS, T: 24 }), (p) => lines.push(p));
    await until(() => lines.length >= 2, 5000, 'two configurations');
    s.cancelGpuTuning();
    const res = await cut;
    expect([res.cancelled, res.results[0]!.complete, res.results[0]!.best]).toEqual([true, false, FAKE_BEST('gru')]);
    expect(res.stored).toEqual([]);
    expect(store.listGpuTunings()).toEqual(before);
  });

  it('holds one worker: with one worker a CPU run waits for the tuning\'s end', async () => {
    const s = scheduler({ workers: 1 });
    const atStart = tuningAtStart(s);
    const tuning = s.tuneGpu(request({ reps: FAKE_REPS_SLOW }));
    const cpu = experiment(s, 'cpu', { backend: 'cpu', models: ['const'] });
    expect(store.listRuns(cpu.id)[0]!.status).toBe('queued');
    await tuning;
    await s.drain();
    const r = store.listRuns(cpu.id)[0]!;
    expect(r.status).toBe('done');
    expect(atStart.get(r.id)).toBe(false);
  });

  it('a failure rejects with the tuner\'s message, stores nothing and releases the held runs', async () => {
    const s = scheduler();
    const atStart = tuningAtStart(s);
    const tuning = s.tuneGpu(request({ reps: FAKE_REPS_FAIL }));
    const gpu = experiment(s, 'gpu', { backend: 'webgpu', models: ['const'] });
    expect(store.listRuns(gpu.id)[0]!.status).toBe('queued');
    await expect(tuning).rejects.toThrow(`the fake tuner failed (reps ${FAKE_REPS_FAIL})`);
    expect(s.tuningActive).toBe(false);
    expect(store.listGpuTunings()).toEqual([]);
    await s.drain();
    const r = store.listRuns(gpu.id)[0]!;
    expect([r.status, atStart.get(r.id)]).toEqual(['done', false]);
    // an invalid request the same way
    await expect(s.tuneGpu(request({ models: [] }))).rejects.toThrow('models must be a non-empty list');
    expect(s.tuningActive).toBe(false);
  });

  it('a software adapter\'s timings are stored only when the request allows software', async () => {
    const s = scheduler({ paused: true });
    const unchecked = await s.tuneGpu(request({ reps: FAKE_REPS_SOFTWARE_UNCHECKED }));
    expect([unchecked.fallback, unchecked.stored]).toEqual([true, []]);
    expect(store.listGpuTunings()).toEqual([]);
    const allowed = await s.tuneGpu(request({ reps: FAKE_REPS_SOFTWARE, allowSoftware: true }));
    expect(allowed.fallback).toBe(true);
    expect(allowed.stored.map((r) => r.arch)).toEqual(['gru', 'lstm']);
  });

  it('close() stops a running tuning and waits for it; nothing starts after', async () => {
    const s = scheduler();
    const tuning = s.tuneGpu(request({ reps: FAKE_REPS_ENDLESS }));
    await new Promise((r) => setTimeout(r, 100));
    await s.close();
    const res = await tuning;
    expect(res.cancelled).toBe(true);
    expect(s.tuningActive).toBe(false);
    await expect(s.tuneGpu(request())).rejects.toThrow('no GPU tuning starts');
  });
});
