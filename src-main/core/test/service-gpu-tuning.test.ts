/**
 * GPU kernel tuning through the service (startGpuTuning, getGpuTuningState,
 * cancelGpuTuning, listGpuTunings, deleteGpuTuning): the real scheduler and
 * pool, whose worker (fixtures/fake-tune-worker.mjs) runs the real tuning
 * task around a fake tuner (three configurations per model, made-up times:
 * the best is S 2, WG 128 at 1.5 ms against 3 ms by default), and a fake
 * adapter probe. Checks: every bad argument is refused naming its field;
 * the configuration is resolved as createExperiment resolves it; no adapter
 * or a software one (without LW_TUNE_ALLOW_SOFTWARE) refuses with the reason
 * the UI shows; the state and its events from start to end (throttled), the
 * winners stored and listed; conflicts while a tuning or a GPU run is
 * active (this host's, or another process's in the store); once started, a
 * failure (even one at once) is the state's error, never a conflict; seq
 * increases with every state; cancel; a failing tuner; delete.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../../src-shared/api';
import { GPU_TUNING_PROGRESS_LINES, TUNE_LIMITS, type GpuTuningState } from '../../../src-shared/gpu-tuning';
import { PRESETS } from '../../../src-shared/presets';
import { tuningAdapter, type WebGpuProbe } from '../../../src-workers/backends/select';
import { openStore } from '../store';
import { apiError, nextEvent, pacedConfig, testService, until } from './service-helpers';

const FAKE_TUNE_WORKER = fileURLToPath(new URL('./fixtures/fake-tune-worker.mjs', import.meta.url));
const FAKE_TUNE_ADAPTER = 'Fake GPU (tuning test double)';

const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
const swiftshader: WebGpuProbe = { available: true, fallback: true, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
const none: WebGpuProbe = { available: false, fallback: false, vendor: '', architecture: '', description: '', reason: 'no WebGPU adapter' };
const probe = (p: WebGpuProbe) => async () => p;

const tuningEvents = (events: readonly ApiEvent[]): GpuTuningState[] =>
  events.flatMap((e) => (e.type === 'gpu-tuning' ? [e.state] : []));

/** wait for the end of the running tuning (its last event) */
function ended(s: ReturnType<typeof testService>): Promise<GpuTuningState> {
  return nextEvent(s, (e) => e.type === 'gpu-tuning' && !e.state.active, 20_000)
    .then((e) => (e as Extract<ApiEvent, { type: 'gpu-tuning' }>).state);
}

describe('tuningAdapter: whether a host can tune', () => {
  it('a hardware adapter can; none or a software one cannot, with the reason; software when allowed', () => {
    expect(tuningAdapter(hardware, false)).toEqual({ adapter: { label: 'NVIDIA H200', software: false }, unavailable: null });
    const n = tuningAdapter(none, false);
    expect(n.adapter).toBeNull();
    expect(n.unavailable).toMatch(/^no hardware WebGPU adapter .*runs use the CPU, nothing to tune$/);
    const sw = tuningAdapter(swiftshader, false);
    expect(sw.adapter).toEqual({ label: 'SwiftShader driver 5.0.0', software: true });
    expect(sw.unavailable).toContain('SwiftShader driver 5.0.0 is a software adapter');
    // lavapipe does not flag itself as a fallback: named like one, it is software too
    expect(tuningAdapter({ ...hardware, vendor: 'mesa', description: 'llvmpipe (LLVM 17)' }, false).unavailable).toContain('software adapter');
    expect(tuningAdapter(swiftshader, true)).toEqual({ adapter: { label: 'SwiftShader driver 5.0.0', software: true }, unavailable: null });
  });
});

describe('argument validation (nothing starts)', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    s = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(hardware), allowSoftwareTuning: false });
  });
  afterAll(async () => s.cleanup());

  it('names each field at fault', async () => {
    const cases: [unknown, string][] = [
      [{ preset: 'smoke', budgetSeconds: TUNE_LIMITS.budgetMin - 1 }, 'budgetSeconds'],
      [{ preset: 'smoke', budgetSeconds: TUNE_LIMITS.budgetMax + 1 }, 'budgetSeconds'],
      [{ preset: 'smoke', budgetSeconds: 30.5 }, 'budgetSeconds'],
      [{ preset: 'smoke', reps: 0 }, 'reps'],
      [{ preset: 'smoke', reps: TUNE_LIMITS.repsMax + 1 }, 'reps'],
      [{ preset: 'smoke', models: ['rnn'] }, 'models'],
      [{ preset: 'smoke', models: [] }, 'models'],
      [{ preset: 'huge' }, 'preset'],
      [{ preset: 'smoke', config: 'H=3' }, 'config'],
      [{ preset: 'smoke', speed: 'max' }, 'speed'],
      // the configuration goes through the shared schema: its fields are named
      [{ preset: 'smoke', config: { H: -1 } }, 'H'],
      [{ preset: 'smoke', config: { batch_size: 0 } }, 'batch_size'],
      ['smoke', ''],
    ];
    for (const [arg, field] of cases) {
      const e = await apiError(s.api.startGpuTuning(arg as never));
      expect(e.code, JSON.stringify(arg)).toBe('invalid');
      expect(e.fields?.map((f) => f.field), JSON.stringify(arg)).toContain(field);
    }
    expect((await apiError(s.api.listGpuTunings({ adapter: 5 } as never))).fields?.[0]?.field).toBe('adapter');
    expect((await apiError(s.api.deleteGpuTuning({ id: 0 }))).fields?.[0]?.field).toBe('id');
    expect((await apiError(s.api.deleteGpuTuning(undefined as never))).code).toBe('invalid');
    // nothing started, nothing emitted
    expect((await s.api.getGpuTuningState()).startedAt).toBeNull();
    expect(tuningEvents(s.events)).toEqual([]);
  });
});

describe('hosts that cannot tune', () => {
  it('no adapter: the state says why, startGpuTuning is a conflict with the same reason', async () => {
    const s = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(none), allowSoftwareTuning: false });
    try {
      const st = await s.api.getGpuTuningState();
      expect(st).toMatchObject({ active: false, adapter: null, allowSoftware: false, startedAt: null, progress: [], result: null });
      expect(st.unavailable).toContain('no hardware WebGPU adapter');
      const e = await apiError(s.api.startGpuTuning({ preset: 'smoke' }));
      expect(e.code).toBe('conflict');
      expect(e.message).toBe(st.unavailable);
    } finally {
      await s.cleanup();
    }
  });

  it('a software adapter: refused unless the host allows software (LW_TUNE_ALLOW_SOFTWARE)', async () => {
    const s = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(swiftshader), allowSoftwareTuning: false });
    try {
      const e = await apiError(s.api.startGpuTuning({ preset: 'smoke', budgetSeconds: 10 }));
      expect(e.code).toBe('conflict');
      expect(e.message).toContain('software adapter');
    } finally {
      await s.cleanup();
    }
    const prev = process.env['LW_TUNE_ALLOW_SOFTWARE'];
    process.env['LW_TUNE_ALLOW_SOFTWARE'] = '1';
    const allowed = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(swiftshader) });
    try {
      const st = await allowed.api.startGpuTuning({ preset: 'smoke', models: ['const'], reps: 1 });
      expect(st).toMatchObject({ active: true, allowSoftware: true, unavailable: null, adapter: { software: true } });
      expect((await ended(allowed)).result!.stored).toHaveLength(1);
    } finally {
      await allowed.cleanup();
      if (prev === undefined) delete process.env['LW_TUNE_ALLOW_SOFTWARE'];
      else process.env['LW_TUNE_ALLOW_SOFTWARE'] = prev;
    }
  });
});

describe('a tuning from start to end', () => {
  let s: ReturnType<typeof testService>;
  beforeAll(() => {
    // events at most once a minute: the start and the end are sent at once, the progress in between only throttled
    s = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(hardware), progressIntervalMs: 60_000 });
  });
  afterAll(async () => s.cleanup());

  it('resolves the configuration, reports start and end, stores and lists the winners', async () => {
    const smoke = PRESETS.smoke;
    const st = await s.api.startGpuTuning({ preset: 'smoke', config: { H: 12, layernorm: true }, models: ['gru', 'lstm'], budgetSeconds: 10, reps: 1 });
    expect(st.active).toBe(true);
    expect(st.startedAt).not.toBeNull();
    expect(st.request).toEqual({
      preset: 'smoke', models: ['gru', 'lstm'], D: smoke.D, H: 12, layernorm: true, batch: smoke.batch_size, T: smoke.T, budgetSeconds: 10, reps: 1,
    });
    expect(st.perModel).toEqual([{ arch: 'gru', done: 0, planned: 0 }, { arch: 'lstm', done: 0, planned: 0 }]);
    expect(st.adapter).toEqual({ label: 'NVIDIA H200', software: false });
    // a second one while it runs: refused
    const busy = await apiError(s.api.startGpuTuning({ preset: 'smoke' }));
    expect(busy.code).toBe('conflict');
    expect(busy.message).toContain('running already');

    const end = await ended(s);
    expect(end).toMatchObject({ active: false, error: null, cancelled: false });
    expect(end.finishedAt).toBeGreaterThanOrEqual(end.startedAt!);
    // three configurations per model, in order
    expect(end.progress.map((p) => `${p.arch} ${p.done}/${p.planned}`)).toEqual(['gru 1/3', 'gru 2/3', 'gru 3/3', 'lstm 1/3', 'lstm 2/3', 'lstm 3/3']);
    expect(end.perModel).toEqual([{ arch: 'gru', done: 3, planned: 3 }, { arch: 'lstm', done: 3, planned: 3 }]);
    const r = end.result!;
    expect(r.adapter).toBe(FAKE_TUNE_ADAPTER);
    expect(r.results.map((x) => [x.model, x.best, x.stepMs, x.defaultStepMs])).toEqual(['gru', 'lstm'].map((arch) => [
      { arch, D: smoke.D, H: 12, layernorm: true, constS: smoke.const_s }, { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' }, 1.5, 3,
    ]));
    expect(r.stored.map((t) => [t.adapter, t.arch, t.D, t.H, t.layernorm, t.batch, t.T, t.stepMs, t.defaultStepMs, t.tried])).toEqual(
      ['gru', 'lstm'].map((arch) => [FAKE_TUNE_ADAPTER, arch, smoke.D, 12, true, smoke.batch_size, smoke.T, 1.5, 3, 3]),
    );
    // events: exactly the start (at once) and the end (at once; the pending throttled one dropped)
    const evs = tuningEvents(s.events);
    expect(evs.map((e) => e.active)).toEqual([true, false]);
    expect(evs[1]).toEqual(end);
    // seq: the start's, then one more per state (six progress lines, the end) — the end's is the highest
    expect(evs[0]!.seq).toBe(st.seq);
    expect(end.seq).toBe(st.seq + 6 + 1);
    // the host keeps the last state (a reloaded page sees it)
    expect(await s.api.getGpuTuningState()).toEqual(end);

    const listed = await s.api.listGpuTunings();
    expect(listed).toEqual(r.stored);
    expect(await s.api.listGpuTunings({ adapter: FAKE_TUNE_ADAPTER })).toEqual(r.stored);
    expect(await s.api.listGpuTunings({ adapter: 'another GPU' })).toEqual([]);

    // a new measurement of the same keys replaces the stored ones
    await s.api.startGpuTuning({ preset: 'smoke', config: { H: 12, layernorm: true }, models: ['gru'], budgetSeconds: 10, reps: 1 });
    const again = await ended(s);
    expect(again.request!.models).toEqual(['gru']);
    const after = await s.api.listGpuTunings();
    expect(after).toHaveLength(2);
    expect(after.find((t) => t.arch === 'gru')!.tunedAt).toBeGreaterThanOrEqual(listed.find((t) => t.arch === 'gru')!.tunedAt);

    // delete: true once, then false
    const id = after[0]!.id;
    expect(await s.api.deleteGpuTuning({ id })).toEqual({ deleted: true });
    expect(await s.api.deleteGpuTuning({ id })).toEqual({ deleted: false });
    expect((await s.api.listGpuTunings()).map((t) => t.id)).toEqual([after[1]!.id]);
  });

  it('progress events are throttled: with a short interval they come, fewer than the lines', async () => {
    const t = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(hardware), progressIntervalMs: 100 });
    try {
      await t.api.startGpuTuning({ preset: 'smoke', models: ['const', 'diag', 'gru', 'lstm', 'shared'], budgetSeconds: 10, reps: 1 });
      const end = await ended(t);
      const evs = tuningEvents(t.events);
      expect(end.progress).toHaveLength(15);
      // the first is the start, the last the end; between them progress states (each a prefix of the lines)
      expect(evs[0]!.active).toBe(true);
      expect(evs.at(-1)).toEqual(end);
      const mid = evs.slice(1, -1);
      expect(mid.length).toBeGreaterThan(0);
      // every state published is newer than the one before
      for (let i = 1; i < evs.length; i++) expect(evs[i]!.seq).toBeGreaterThan(evs[i - 1]!.seq);
      expect(mid.length).toBeLessThan(15);
      for (const e of mid) expect(end.progress.slice(0, e.progress.length)).toEqual(e.progress);
      // each throttled event carries more lines than the one before (none is sent without news)
      for (let i = 1; i < mid.length; i++) expect(mid[i]!.progress.length).toBeGreaterThan(mid[i - 1]!.progress.length);
    } finally {
      await t.cleanup();
    }
  });

  it('cancel: the tuning stops after its current configuration and says so; nothing running: the state unchanged', async () => {
    await s.api.startGpuTuning({ preset: 'smoke', models: ['const', 'gru'], budgetSeconds: 10, reps: 8 }); // 200 ms a configuration
    await until(() => s.scheduler.tuningActive, 10_000, 'the tuning');
    const before = await s.api.getGpuTuningState();
    const c = await s.api.cancelGpuTuning();
    expect(c).toMatchObject({ active: true, cancelled: true });
    expect(c.seq).toBeGreaterThan(before.seq);
    const end = await ended(s);
    expect(end.seq).toBeGreaterThan(c.seq);
    expect(end).toMatchObject({ active: false, cancelled: true, error: null });
    expect(end.result!.cancelled).toBe(true);
    expect(end.progress.length).toBeLessThan(6);
    expect(await s.api.cancelGpuTuning()).toEqual(end);
  });

  it('a failure that settles at once is the state\'s error, not a conflict of the call', async () => {
    const spy = vi.spyOn(s.scheduler, 'tuneGpu').mockRejectedValueOnce(new Error('the pool is gone'));
    try {
      const done = ended(s); // the end comes before the call's reply is read
      const st = await s.api.startGpuTuning({ preset: 'smoke', models: ['const'], budgetSeconds: 10, reps: 1 });
      expect(st.active).toBe(true);
      const end = await done;
      expect(end).toMatchObject({ active: false, error: 'the pool is gone', result: null });
      expect(end.seq).toBeGreaterThan(st.seq);
      expect(await s.api.getGpuTuningState()).toEqual(end);
    } finally {
      spy.mockRestore();
    }
  });

  it('the state keeps the latest GPU_TUNING_PROGRESS_LINES lines', async () => {
    // budgetSeconds 12: the fake sends 250 lines per model before its three configurations
    await s.api.startGpuTuning({ preset: 'smoke', models: ['const', 'gru'], budgetSeconds: 12, reps: 1 });
    const end = await ended(s);
    expect(end.progress).toHaveLength(GPU_TUNING_PROGRESS_LINES);
    // the last 200 of 2 × (250 + 3): gru's last 47 warm-up lines and its 3 configurations
    expect(end.progress.slice(-3).map((p) => `${p.arch} ${p.done}`)).toEqual(['gru 1', 'gru 2', 'gru 3']);
    expect(end.progress[0]!.message).toBe(`warm-up line ${250 - (GPU_TUNING_PROGRESS_LINES - 3)}`);
    expect(end.perModel).toEqual([{ arch: 'const', done: 3, planned: 3 }, { arch: 'gru', done: 3, planned: 3 }]);
  });

  it('a failing tuner: the state carries its error; the next one starts', async () => {
    await s.api.startGpuTuning({ preset: 'smoke', models: ['const'], budgetSeconds: 11, reps: 1 });
    const end = await ended(s);
    expect(end).toMatchObject({ active: false, result: null, cancelled: false });
    expect(end.error).toContain('injected tuner failure');
    await s.api.startGpuTuning({ preset: 'smoke', models: ['const'], budgetSeconds: 10, reps: 1 });
    expect((await ended(s)).error).toBeNull();
  });
});

describe('conflicts with GPU runs', () => {
  it('refused while a run is on the GPU (nothing started, the last state kept)', async () => {
    const s = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(hardware) });
    try {
      const before = await s.api.getGpuTuningState();
      const e = await s.api.createExperiment({ name: 'gpu run', config: pacedConfig(200, 20, { backend: 'webgpu' }) });
      const runId = e.runs[0]!.id;
      await until(() => s.scheduler.runningOnGpu.includes(runId), 10_000, 'the webgpu run');
      const err = await apiError(s.api.startGpuTuning({ preset: 'smoke', budgetSeconds: 10 }));
      expect(err.code).toBe('conflict');
      expect(err.message).toContain('using the GPU');
      expect(await s.api.getGpuTuningState()).toEqual(before);
      expect(tuningEvents(s.events)).toEqual([]);
      await s.api.cancelExperiment({ id: e.id });
    } finally {
      await s.cleanup();
    }
  });

  it('refused while another process\'s run is marked running on webgpu in the database (named with its count)', async () => {
    const s = testService({ workerFile: FAKE_TUNE_WORKER, webgpuProbe: probe(hardware), paused: true });
    // another process (lw run) on the same database
    const other = openStore({ dataDir: s.dir });
    try {
      const before = await s.api.getGpuTuningState();
      const e = other.createExperiment('lw run elsewhere', { ...PRESETS.smoke, models: ['const'], seeds: [1] });
      other.setRunStatus(e.runs[0]!.id, 'running', { backendUsed: 'webgpu' });
      const err = await apiError(s.api.startGpuTuning({ preset: 'smoke', models: ['const'], budgetSeconds: 10 }));
      expect(err.code).toBe('conflict');
      expect(err.message).toContain('1 run of another process (the app, lw run) is using the GPU');
      expect(await s.api.getGpuTuningState()).toEqual(before);
      expect(tuningEvents(s.events)).toEqual([]);
      other.setRunStatus(e.runs[0]!.id, 'done');
      expect((await s.api.startGpuTuning({ preset: 'smoke', models: ['const'], budgetSeconds: 10, reps: 1 })).active).toBe(true);
      expect((await ended(s)).error).toBeNull();
    } finally {
      other.close();
      await s.cleanup();
    }
  });

});
