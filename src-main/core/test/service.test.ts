/**
 * The service (the Api over the store and the scheduler), with real SQLite
 * files in temporary folders and the real pool and engine on tiny
 * configurations: a smoke experiment end to end, validation of every kind of
 * bad argument (nothing stored), experiments CRUD, the estimate against its
 * closed forms, the system information.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_METHODS, MAX_GPU_RUNS, MAX_RUN_RESULTS_BATCH, type ApiEvent } from '../../../src-shared/api';
import { MAX_GPU_RUNS as SCHEDULER_MAX_GPU_RUNS } from '../scheduler';
import { PRESETS } from '../../../src-shared/presets';
import { epochFlops, makespan, QUICK_EPOCH_SECONDS, QUICK_SHAPE, runCost, stepFlops } from '../estimate';
import { apiError, testService, tinyConfig } from './service-helpers';

/** a machine without a WebGPU adapter, whatever this one has (backends.test.ts covers the real probe) */
const noAdapter = async () => ({ available: false, fallback: false, vendor: '', architecture: '', description: '', reason: 'no WebGPU adapter' });

describe('a smoke experiment end to end: Api → scheduler → pool → store', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    s = testService({ workers: 2 });
  });
  afterAll(async () => s.cleanup());

  it('runs every (model, seed), stores every result, and reports progress and status events', async () => {
    const cfg = tinyConfig({ models: ['const', 'gru'], seeds: [1, 2], epochs: 3, lag_min: 2, lag_max: 12, num_lags: 8 });
    const created = await s.api.createExperiment({ name: 'smoke e2e', preset: 'smoke', config: cfg, tags: ['t1'] });
    expect(created.runs.map((r) => [r.arch, r.seed])).toEqual([['const', 1], ['gru', 1], ['const', 2], ['gru', 2]]);
    await s.scheduler.drain();
    const e = await s.api.getExperiment({ id: created.id });
    expect(e.runs.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(e.finishedAt).not.toBeNull();
    expect(e.progress).toMatchObject({ done: 4, total: 4 });
    // lag grid (SCIENCE.md §4.3): 8 values from 2 to 12, step 10/7, truncated: 2, 3.43, 4.86, 6.29, 7.71, 9.14, 10.57, 12
    const lags = [2, 3, 4, 6, 7, 9, 10, 12];
    for (const run of e.runs) {
      expect(run.kernels).toMatch(/^(wasm-simd|ts)-f32$/);
      expect(run.attempts).toBe(1);
      expect(run.epochsDone).toBe(3);
      const r = (await s.api.getRunResult({ runId: run.id }))!;
      expect(r.curve.map((c) => c.epoch)).toEqual([0, 1, 2]);
      expect(r.kernelsName).toBe(run.kernels);
      expect(r.diagnosticsStatus).toBe('done');
      const d = r.diagnostics!;
      expect(d.lags).toEqual(lags);
      expect(d.summary.map((x) => x.ell)).toEqual(lags);
      expect(d.muUnits).toHaveLength(lags.length);
      for (const mu of d.muUnits) expect(mu).toHaveLength(PRESETS.smoke.H);
      // muUnits: true is the default; false leaves only the per-unit envelopes out
      expect(await s.api.getRunResult({ runId: run.id, muUnits: true })).toEqual(r);
      const lean = (await s.api.getRunResult({ runId: run.id, muUnits: false }))!;
      expect(lean.diagnostics!.muUnits).toEqual([]);
      expect({ ...lean, diagnostics: { ...lean.diagnostics!, muUnits: d.muUnits } }).toEqual(r);
      expect(d.H_N.map((x) => x.N)).toEqual(PRESETS.smoke.N_grid);
      // ConstGate's closed form (§6): τ = -1/log(1 - s), s = 0.05
      if (run.arch === 'const') expect(d.constTau!.tau).toBeCloseTo(-1 / Math.log(0.95), 12);
      else expect(d.constTau).toBeNull();
      // the event log: start, the diagnostics steps, the end
      const log = await s.api.listRunEvents({ runId: run.id });
      expect(log[0]!.message).toBe('queued → running');
      expect(log.at(-1)!.message).toBe('running → done');
      expect(log.some((x) => x.kind === 'progress' && x.message.startsWith('diagnostics lags'))).toBe(true);
    }
    // the batched read: the same results in the order asked, with or without the per-unit envelopes
    const ids = e.runs.map((x) => x.id).reverse();
    const one = await Promise.all(ids.map((runId) => s.api.getRunResult({ runId })));
    expect(await s.api.getRunResults({ runIds: ids })).toEqual(one);
    const batchLean = await s.api.getRunResults({ runIds: ids, muUnits: false });
    expect(batchLean).toEqual(await Promise.all(ids.map((runId) => s.api.getRunResult({ runId, muUnits: false }))));
    expect(batchLean.map((x) => x!.diagnostics!.muUnits.length)).toEqual(ids.map(() => 0));
    // events: created, each run running then done, progress in between, the queue
    const types = new Set(s.events.map((x) => x.type));
    for (const t of ['experiment-created', 'run-status', 'run-progress', 'queue', 'experiment-updated']) expect(types).toContain(t);
    for (const run of e.runs) {
      const st = s.events.filter((x): x is Extract<ApiEvent, { type: 'run-status' }> => x.type === 'run-status' && x.run.id === run.id);
      expect(st.map((x) => x.run.status)).toEqual(['running', 'done']);
    }
    const progress = s.events.filter((x): x is Extract<ApiEvent, { type: 'run-progress' }> => x.type === 'run-progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) {
      expect(p.experimentId).toBe(created.id);
      expect(p.etaSeconds).toBeGreaterThanOrEqual(0);
      if (p.phase === 'train') expect(p.epochs).toBe(3);
      else expect(['batches', 'lags']).toContain(p.stage);
    }
    // the queue is empty again
    expect(await s.api.getQueue()).toEqual({ paused: false, workers: 2, gpuRuns: 4, running: [], queued: [] });
  });

  it('lists with filters, updates, duplicates with overrides, deletes', async () => {
    const all = await s.api.listExperiments({});
    expect(all.total).toBe(1);
    const id = all.items[0]!.id;
    expect((await s.api.listExperiments({ filter: { arch: 'gru' } })).total).toBe(1);
    expect((await s.api.listExperiments({ filter: { arch: 'lstm' } })).total).toBe(0);
    expect((await s.api.listExperiments({ filter: { text: 'SMOKE' } })).total).toBe(1);

    const u = await s.api.updateExperiment({ id, name: 'renamed', tags: ['b', 'a'], notes: 'hello' });
    expect(u).toMatchObject({ id, name: 'renamed', tags: ['a', 'b'], notes: 'hello' });
    expect(s.events.at(-1)).toMatchObject({ type: 'experiment-updated', experiment: { id, name: 'renamed' } });
    // all or nothing: a bad tag refuses the rename too
    const bad = await apiError(s.api.updateExperiment({ id, name: 'other', tags: [''] }));
    expect(bad.code).toBe('invalid');
    expect(bad.fields?.map((f) => f.field)).toEqual(['tags']);
    expect((await s.api.getExperiment({ id })).name).toBe('renamed');

    const dup = await s.api.duplicateExperiment({ id, config: { H: 4 }, start: false });
    const src = await s.api.getExperiment({ id });
    expect(dup.name).toBe('renamed (copy)');
    expect(dup.config).toEqual({ ...src.config, H: 4 });
    expect(dup.tags).toEqual(['a', 'b']);
    // start: false holds the runs (cancelled, "not started"); resuming starts them
    expect(dup.runs.map((r) => r.status)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(dup.runs[0]!.error).toContain('not started');
    const resumed = await s.api.resumeExperiment({ id: dup.id });
    expect(resumed.runs.every((r) => r.status === 'queued' || r.status === 'running')).toBe(true);
    await s.scheduler.drain();
    expect((await s.api.getExperiment({ id: dup.id })).runs.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);

    expect(await s.api.deleteExperiment({ id: dup.id })).toEqual({ deleted: true });
    expect(s.events.at(-2)).toEqual({ type: 'experiment-deleted', experimentId: dup.id });
    expect(await s.api.deleteExperiment({ id: dup.id })).toEqual({ deleted: false });
    expect((await apiError(s.api.getExperiment({ id: dup.id }))).code).toBe('not-found');
  });

  it('refuses wrong states as conflicts', async () => {
    const run = (await s.api.listExperiments({})).items[0]!;
    const e = await s.api.getExperiment({ id: run.id });
    const done = e.runs[0]!;
    const c = await apiError(s.api.cancelRun({ runId: done.id }));
    expect(c.code).toBe('conflict');
    expect(c.message).toContain('is done');
    expect((await apiError(s.api.rerunRun({ runId: done.id }))).code).toBe('conflict');
  });
});

describe('every kind of invalid configuration or argument: a clear error naming the field, nothing stored', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    s = testService({ paused: true, webgpuProbe: noAdapter });
  });
  afterAll(async () => s.cleanup());

  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ['unknown field', { name: 'x', preset: 'smoke', config: { depth: 3 } }, 'depth', /unknown field "depth"/],
    ['misspelled field', { name: 'x', preset: 'smoke', config: { epoch: 3 } }, 'epoch', /did you mean epochs/],
    ['wrong type', { name: 'x', preset: 'smoke', config: { T: 'abc' } }, 'T', /T must be an integer >= 2 \(got "abc"\)/],
    ['out of range', { name: 'x', preset: 'smoke', config: { const_s: 1.5 } }, 'const_s', /const_s must be > 0 and < 1/],
    ['bad list', { name: 'x', preset: 'smoke', config: { models: ['gru', 'rnn'] } }, 'models', /models must be a non-empty list/],
    ['bad enum', { name: 'x', preset: 'smoke', config: { optimizer: 'adam' } }, 'optimizer', /optimizer must be one of/],
    ['cross-field lag_max', { name: 'x', preset: 'smoke', config: { lag_max: 48 } }, 'lag_max', /lag_max must be < T \(T is 48, got 48\)/],
    ['cross-field task_coeffs', { name: 'x', preset: 'smoke', config: { task_coeffs: [0.5] } }, 'task_coeffs', /one coefficient per task lag/],
    ['unknown preset', { name: 'x', preset: 'huge' }, 'preset', /preset must be one of smoke, quick, paper/],
    ['config not an object', { name: 'x', config: [1, 2] }, 'config', /config must be an object/],
    ['unavailable backend', { name: 'x', preset: 'smoke', config: { backend: 'webgpu' } }, 'backend', /webgpu is not available/],
    ['empty name', { name: '  ', preset: 'smoke' }, 'name', /name must be a non-empty text/],
    ['bad tags', { name: 'x', preset: 'smoke', tags: ['ok', 7] }, 'tags', /tags must be a list of texts/],
    ['too long tag', { name: 'x', preset: 'smoke', tags: ['y'.repeat(65)] }, 'tags', /tags must be a list/],
    ['unknown argument', { name: 'x', preset: 'smoke', colour: 'red' }, 'colour', /unknown argument "colour"/],
    ['start not a boolean', { name: 'x', preset: 'smoke', start: 'yes' }, 'start', /start must be true or false/],
  ];
  for (const [what, arg, field, message] of cases) {
    it(`createExperiment: ${what}`, async () => {
      const err = await apiError(s.api.createExperiment(arg as never));
      expect(err.code).toBe('invalid');
      expect(err.fields?.map((f) => f.field)).toContain(field);
      expect(err.message).toMatch(message);
      expect(err.toBody()).toMatchObject({ code: 'invalid' });
    });
  }

  it('several problems are reported together', async () => {
    const err = await apiError(s.api.createExperiment({ name: '', preset: 'smoke', config: { T: 1, H: 0 } }));
    expect(err.fields?.map((f) => f.field).sort()).toEqual(['H', 'T', 'name']);
  });

  it('the same configurations through validateConfig and estimateRuns', async () => {
    const v = await s.api.validateConfig({ preset: 'smoke', config: { lag_max: 48 } });
    expect(v).toEqual({ ok: false, errors: [{ field: 'lag_max', message: 'lag_max must be < T (T is 48, got 48)' }] });
    const ok = await s.api.validateConfig({ preset: 'smoke', config: { models: ['gru'], seeds: [3, 4] } });
    expect(ok.ok && ok.runs).toEqual([{ arch: 'gru', seed: 3 }, { arch: 'gru', seed: 4 }]);
    const e = await apiError(s.api.estimateRuns({ config: { H: -1 } }));
    expect(e.code).toBe('invalid');
    expect(e.fields?.[0]?.field).toBe('H');
  });

  it('bad arguments of the other methods', async () => {
    const expectInvalid = async (p: Promise<unknown>, field: string) => {
      const err = await apiError(p);
      expect(err.code, err.message).toBe('invalid');
      expect(err.fields?.map((f) => f.field)).toContain(field);
    };
    await expectInvalid(s.api.getExperiment({ id: 'x' } as never), 'id');
    await expectInvalid(s.api.getExperiment({ id: 1.5 }), 'id');
    await expectInvalid(s.api.getExperiment({ id: 1, more: 2 } as never), 'more');
    await expectInvalid(s.api.getExperiment(undefined as never), '');
    await expectInvalid(s.api.getExperiment('1' as never), '');
    await expectInvalid(s.api.getRun({} as never), 'runId');
    await expectInvalid(s.api.getRunResult({ runId: 1, muUnits: 'no' } as never), 'muUnits');
    await expectInvalid(s.api.getRunResult({ runId: 0, muUnits: false }), 'runId');
    await expectInvalid(s.api.getRunResult({ runId: 1, mu: false } as never), 'mu');
    await expectInvalid(s.api.getRunResults({} as never), 'runIds');
    await expectInvalid(s.api.getRunResults({ runIds: [] }), 'runIds');
    await expectInvalid(s.api.getRunResults({ runIds: 3 } as never), 'runIds');
    await expectInvalid(s.api.getRunResults({ runIds: Array.from({ length: MAX_RUN_RESULTS_BATCH + 1 }, (_, i) => i + 1) }), 'runIds');
    await expectInvalid(s.api.getRunResults({ runIds: [1, 'x', 2] } as never), 'runIds[1]');
    await expectInvalid(s.api.getRunResults({ runIds: [1], muUnits: 1 } as never), 'muUnits');
    await expectInvalid(s.api.listExperiments({ filter: { arch: 'rnn' as never } }), 'filter.arch');
    await expectInvalid(s.api.listExperiments({ limit: 0 }), 'limit');
    await expectInvalid(s.api.listRunEvents({ runId: 1, limit: 0 }), 'limit');
    await expectInvalid(s.api.setWorkers({ workers: 0 }), 'workers');
    await expectInvalid(s.api.setWorkers({} as never), 'workers');
    for (const bad of [0, 65, 2.5, -1, NaN, Infinity, '3']) {
      const err = await apiError(s.api.setGpuRuns({ gpuRuns: bad as number }));
      expect(err.code, err.message).toBe('invalid');
      expect(err.fields).toEqual([{ field: 'gpuRuns', message: expect.stringContaining('gpuRuns must be an integer from 1 to 64') }]);
    }
    // the renderer bounds its input by the Api's constant: the scheduler's bound, 64 (the task's range 1..64)
    expect(MAX_GPU_RUNS).toBe(64);
    expect(SCHEDULER_MAX_GPU_RUNS).toBe(MAX_GPU_RUNS);
    await expectInvalid(s.api.setGpuRuns({} as never), 'gpuRuns');
    expect((await apiError(s.api.setGpuRuns({} as never))).fields![0]!.message).toBe('gpuRuns is required: an integer from 1 to 64');
    await expectInvalid(s.api.setGpuRuns({ gpuRuns: 2, workers: 2 } as never), 'workers');
    await expectInvalid(s.api.setGpuRuns(undefined as never), '');
    await expectInvalid(s.api.updateExperiment({ id: 1, name: 5 } as never), 'name');
    await expectInvalid(s.api.exportData({ format: 'zip' }), 'experimentId');
    await expectInvalid(s.api.exportData({ experimentId: 1, runId: 1, format: 'zip' }), 'runId');
    await expectInvalid(s.api.exportData({ experimentId: 1, format: 'docx' as never }), 'format');
    await expectInvalid(s.api.importResults({ path: '' }), 'path');
    // well-formed, but nothing there
    for (const p of [s.api.getExperiment({ id: 99 }), s.api.getRun({ runId: 99 }), s.api.getRunResult({ runId: 99 }), s.api.getRunResults({ runIds: [99] }), s.api.cancelRun({ runId: 99 }),
      s.api.resumeExperiment({ id: 99 }), s.api.exportData({ experimentId: 99, format: 'csv' })]) {
      expect((await apiError(p)).code).toBe('not-found');
    }
  });

  it('stored nothing', async () => {
    expect(await s.api.listExperiments({})).toEqual({ items: [], total: 0 });
    expect(s.store.listRunsByStatus('queued')).toEqual([]);
    expect(s.events.filter((e) => e.type === 'experiment-created')).toEqual([]);
  });
});

describe('the queue, the estimate and the system information', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    s = testService({ workers: 3, paused: true, webgpuProbe: noAdapter });
  });
  afterAll(async () => s.cleanup());

  it('implements every Api method', () => {
    for (const m of API_METHODS) expect(typeof s.api[m]).toBe('function');
  });

  it('estimateRuns: FLOP counts calibrated on the quick epoch', async () => {
    // one forward step (estimate.ts): 2·G·H·(D+H) + E·H + 2H; gru: G 3, E 60; D 8, H 32
    expect(stepFlops('gru', 8, 32)).toBe(2 * 3 * 32 * 40 + 60 * 32 + 2 * 32);
    // an epoch: backward ≈ 2 forward, plus the train-R² (min(1024, 256)) and validation (min(1024, max(32, 256))) sets
    expect(epochFlops(QUICK_SHAPE, 'gru')).toBe(256 * stepFlops('gru', 8, 32) * (3 * 256 + 256 + 256));
    // calibration: the quick epoch costs what the benchmark measured
    for (const a of ['const', 'shared', 'diag', 'gru', 'lstm'] as const) {
      expect(runCost(PRESETS.quick, a).epochSeconds).toBeCloseTo(QUICK_EPOCH_SECONDS[a], 12);
      expect(runCost(PRESETS.quick, a).trainSeconds).toBeCloseTo(20 * QUICK_EPOCH_SECONDS[a], 10);
    }
    // linear in epochs: doubling them adds exactly the training seconds of every run
    const one = await s.api.estimateRuns({ preset: 'quick' });
    const two = await s.api.estimateRuns({ preset: 'quick', config: { epochs: 40 } });
    const train = Object.values(QUICK_EPOCH_SECONDS).reduce((a, b) => a + b, 0) * 20;
    expect(two.cpuSeconds - one.cpuSeconds).toBeCloseTo(train, 9);
    expect(one.runs).toBe(5);
    // three workers: at least a third of the work, at most that plus the longest run
    const longest = Math.max(...(['const', 'shared', 'diag', 'gru', 'lstm'] as const).map((a) => runCost(PRESETS.quick, a).totalSeconds));
    expect(one.wallSeconds).toBeGreaterThanOrEqual(one.cpuSeconds / 3 - 1e-9);
    expect(one.wallSeconds).toBeLessThanOrEqual(one.cpuSeconds / 3 + longest);
    expect(one.peakBytesPerRun).toBeGreaterThan(40 * 2 ** 20);
    // the paper configuration: a run is at least hours on one core
    const paper = await s.api.estimateRuns({ preset: 'paper' });
    expect(paper.runs).toBe(25);
    expect(paper.cpuSeconds / 25).toBeGreaterThan(3600);
  });

  it('makespan: longest processing time first (Graham)', () => {
    // 5,4,3,3,3 on two lanes: 5 | 4 → 5 | 7 → 8 | 7 → 8 | 10: 10 (the optimum is 9)
    expect(makespan([3, 5, 3, 4, 3], 2)).toBe(10);
    expect(makespan([2, 2, 2], 3)).toBe(2);
    expect(makespan([], 4)).toBe(0);
  });

  it('pause, resume, workers', async () => {
    expect(await s.api.getQueue()).toEqual({ paused: true, workers: 3, gpuRuns: 4, running: [], queued: [] });
    expect((await s.api.setWorkers({ workers: 1 })).workers).toBe(1);
    expect(s.events.at(-1)).toMatchObject({ type: 'queue', state: { workers: 1 } });
    // the GPU-runs cap: the new QueueState back, announced to every window, kept by getQueue
    expect(await s.api.setGpuRuns({ gpuRuns: 2 })).toEqual({ paused: true, workers: 1, gpuRuns: 2, running: [], queued: [] });
    expect(s.events.at(-1)).toEqual({ type: 'queue', state: { paused: true, workers: 1, gpuRuns: 2, running: [], queued: [] } });
    expect(s.scheduler.gpuRuns).toBe(2);
    const seen = s.events.length;
    expect((await s.api.setGpuRuns({ gpuRuns: 2 })).gpuRuns).toBe(2); // unchanged: nothing announced
    expect(s.events.length).toBe(seen);
    for (const edge of [64, 1]) expect((await s.api.setGpuRuns({ gpuRuns: edge })).gpuRuns).toBe(edge);
    expect((await s.api.getQueue()).gpuRuns).toBe(1);
    expect((await s.api.resumeQueue()).paused).toBe(false);
    expect((await s.api.pauseQueue()).paused).toBe(true);
  });

  it('getSystemInfo', async () => {
    const i = await s.api.getSystemInfo();
    expect(i).toMatchObject({ host: 'web', dataDir: s.dir, workers: 1, node: process.version });
    expect(i.cores).toBeGreaterThanOrEqual(1);
    expect(i.backends.map((b) => [b.name, b.available])).toEqual([['cpu', true], ['webgpu', false]]);
  });

  it('refuses calls after close', async () => {
    const t = testService({ paused: true });
    await t.cleanup();
    expect((await apiError(t.api.getQueue())).code).toBe('conflict');
  });
});
