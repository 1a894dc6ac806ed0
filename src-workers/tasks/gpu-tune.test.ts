/**
 * The GPU tuning task (gpu-tune.ts) on SwiftShader with tiny model shapes:
 * the request's validation (a RangeError naming each invalid field, before
 * any device is touched), the refusal of a software adapter, one result per
 * model shape whose best is a valid kernel shape whose step time is the
 * fastest of the progress lines' and whose default's is the "(default)"
 * line's, the progress lines, a budget spent (only the defaults timed, not
 * complete, a last line at the planned count; the models made for maxBatch),
 * and a stop request. Timings are measured, never asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { isKernelShape, kernelShapeLabel, type KernelShape, type TuneGpuOutput, type TuneGpuRequest, type TuneProgress } from '../../src-shared/gpu-tuning';
import { adapterLabel } from '../backends/select';
import { createGpuModel } from '../backends/webgpu/index';
import { plannedConfigurations } from '../backends/webgpu/kernel-sweep';
import { testGpu } from '../backends/webgpu/test/gpu-test-context';
import type { GpuContext } from '../backends/webgpu/types';
import { tuneGpu, validateTuneRequest } from './gpu-tune';

const { ctx } = await testGpu();

const base: TuneGpuRequest = {
  models: [
    { arch: 'diag', D: 2, H: 8, layernorm: false, constS: 0.1 },
    { arch: 'lstm', D: 3, H: 8, layernorm: true, constS: 0.1 },
  ],
  batch: 4, T: 6, budgetSeconds: 10, reps: 1, allowSoftware: true,
  grid: { seqs: [1, 2], wg: [8, 16], unroll: [1] },
};

const unreachable = (): Promise<GpuContext> => Promise.reject(new Error('the device must not be acquired for an invalid request'));

describe('tuneGpu: request validation (before the device)', () => {
  const cases: [string, (r: TuneGpuRequest) => unknown, RegExp][] = [
    ['budgetSeconds 5', (r) => ({ ...r, budgetSeconds: 5 }), /^budgetSeconds must be an integer from 10 to 3600 \(got 5\)$/],
    ['budgetSeconds 3601', (r) => ({ ...r, budgetSeconds: 3601 }), /^budgetSeconds must be an integer from 10 to 3600 \(got 3601\)$/],
    ['reps 0', (r) => ({ ...r, reps: 0 }), /^reps must be an integer from 1 to 20 \(got 0\)$/],
    ['reps 2.5', (r) => ({ ...r, reps: 2.5 }), /^reps must be an integer from 1 to 20/],
    ['models []', (r) => ({ ...r, models: [] }), /^models must be a non-empty list/],
    ["arch 'rnn'", (r) => ({ ...r, models: [r.models[0], { ...r.models[1], arch: 'rnn' }] }), /^models\[1\]\.arch must be one of const, shared, diag, gru, lstm \(got 'rnn'\)$/],
    ['H 0', (r) => ({ ...r, models: [{ ...r.models[0], H: 0 }] }), /^models\[0\]\.H must be a positive integer \(got 0\)$/],
    ['D 1.5', (r) => ({ ...r, models: [{ ...r.models[0], D: 1.5 }] }), /^models\[0\]\.D must be a positive integer/],
    ['constS 1', (r) => ({ ...r, models: [{ ...r.models[0], constS: 1 }] }), /^models\[0\]\.constS must be a number > 0 and < 1/],
    ['batch 0', (r) => ({ ...r, batch: 0 }), /^batch must be a positive integer \(got 0\)$/],
    ['T 1', (r) => ({ ...r, T: 1 }), /^T must be an integer ≥ 2 \(got 1\)$/],
    ['wg 3', (r) => ({ ...r, grid: { ...r.grid!, wg: [8, 3] } }), /^grid\.wg must be a list of powers of two from 1 to 1024 \(got 3\)$/],
    ['unroll 33', (r) => ({ ...r, grid: { ...r.grid!, unroll: [1, 33] } }), /^grid\.unroll must be a list of 'auto' or integers from 1 to 32 \(got 33\)$/],
    ["unroll 'eight'", (r) => ({ ...r, grid: { ...r.grid!, unroll: ['auto', 'eight'] } }), /^grid\.unroll must be a list of 'auto' or integers from 1 to 32 \(got 'eight'\)$/],
    ['seqs 0', (r) => ({ ...r, grid: { ...r.grid!, seqs: [0] } }), /^grid\.seqs must be a list of integers from 1 to 1024 \(got 0\)$/],
    ['maxBatch 3 (< batch 4)', (r) => ({ ...r, maxBatch: 3 }), /^maxBatch must be an integer ≥ batch 4 \(got 3\)$/],
    ['maxBatch 4.5', (r) => ({ ...r, maxBatch: 4.5 }), /^maxBatch must be an integer ≥ batch 4 \(got 4\.5\)$/],
    ['allowSoftware "yes"', (r) => ({ ...r, allowSoftware: 'yes' }), /^allowSoftware must be true or false/],
  ];
  it.each(cases)('%s is refused with a RangeError naming the field', async (_name, make, message) => {
    const req = make(base) as TuneGpuRequest;
    expect(() => validateTuneRequest(req)).toThrow(RangeError);
    expect(() => validateTuneRequest(req)).toThrow(message);
    await expect(tuneGpu(req, {}, { acquire: unreachable })).rejects.toThrow(message);
  });

  it('the base request and one without a grid are valid', () => {
    expect(() => validateTuneRequest(base)).not.toThrow();
    const { grid: _grid, ...noGrid } = base;
    expect(() => validateTuneRequest(noGrid)).not.toThrow();
  });
});

describe.skipIf(!ctx)('tuneGpu on a WebGPU device', () => {
  const g = ctx!;
  /** the test device as a software adapter (SwiftShader is one; a hardware adapter is marked as one) */
  const software: GpuContext = g.adapter.fallback ? g : { ...g, adapter: { ...g.adapter, fallback: true } };
  let out: TuneGpuOutput;
  const progress: TuneProgress[] = [];

  beforeAll(async () => {
    out = await tuneGpu(base, { progress: (p) => progress.push(p) }, { acquire: () => Promise.resolve(software) });
  });

  it('refuses a software adapter unless allowSoftware, naming it and saying why', async () => {
    const { allowSoftware: _a, ...req } = base;
    const label = adapterLabel(software.adapter);
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await expect(tuneGpu(req, {}, { acquire: () => Promise.resolve(software) }))
      .rejects.toThrow(new RegExp(`${escaped} is a software adapter: timings on it say nothing about a GPU`));
    await expect(tuneGpu({ ...req, allowSoftware: false }, {}, { acquire: () => Promise.resolve(software) })).rejects.toThrow(/software adapter/);
  });

  it('names the adapter as runs do, and flags it as a fallback', () => {
    expect(out.adapter).toBe(adapterLabel(g.adapter));
    expect(out.fallback).toBe(true);
    expect(out.batch).toBe(4);
    expect(out.T).toBe(6);
    expect(out.cancelled).toBe(false);
  });

  it('one result per model shape: a valid best shape, its step the fastest of the lines timed, the default\'s its line\'s', () => {
    expect(out.results.map((r) => r.model)).toEqual(base.models);
    const planned = plannedConfigurations(base.grid!, base.batch);
    for (const r of out.results) {
      expect(isKernelShape(r.best)).toBe(true);
      expect(r.defaultStepMs).toBeGreaterThan(0);
      expect(r.stepMs).toBeGreaterThan(0);
      // re-derived from the progress lines (0.1 ms rounding, monotone: the rounded minimum is the minimum's rounding)
      const lines = progress.filter((p) => p.arch === r.model.arch).map((p) => p.message);
      const steps = lines.map((m) => / step (\d+\.\d) ms$/.exec(m)?.[1]).filter((v) => v !== undefined).map(Number);
      expect(Number(r.stepMs!.toFixed(1))).toBe(Math.min(...steps));
      const defaultLine = lines.filter((m) => m.includes(' (default): step '));
      expect(defaultLine).toHaveLength(1);
      expect(defaultLine[0]).toMatch(new RegExp(` \\(default\\): step ${r.defaultStepMs!.toFixed(1).replace('.', '\\.')} ms$`));
      expect(lines.find((m) => m.startsWith(`${kernelShapeLabel(r.best!)}`) && / step \d+\.\d ms$/.test(m))).toMatch(new RegExp(`step ${r.stepMs!.toFixed(1).replace('.', '\\.')} ms$`));
      expect(r.tried).toBeGreaterThanOrEqual(1);
      expect(r.tried + r.refused).toBeLessThanOrEqual(planned);
      expect(r.complete).toBe(true);
    }
    expect(out.skippedForBudget).toBeGreaterThanOrEqual(0);
  });

  it('reports progress per configuration, done increasing within each model shape', () => {
    for (const m of base.models) {
      const ps = progress.filter((p) => p.arch === m.arch);
      expect(ps.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < ps.length; i++) expect(ps[i]!.done).toBeGreaterThan(ps[i - 1]!.done);
      for (const p of ps) expect(p.done).toBeLessThanOrEqual(p.planned);
      expect(ps[0]!.message).toMatch(/^S \d+, WG \d+, unroll 1 \(default\): step \d+\.\d ms$/);
    }
    // the diag model's progress comes before the lstm model's
    const lastDiag = progress.map((p) => p.arch).lastIndexOf('diag');
    expect(progress.findIndex((p) => p.arch === 'lstm')).toBeGreaterThan(lastDiag);
    const timedLines = progress.filter((p) => / step \d+\.\d ms$/.test(p.message)).length;
    expect(timedLines).toBe(out.results.reduce((s, r) => s + r.tried, 0));
  });

  it('a budget spent after each shape\'s default: only the defaults timed, not complete, a last line at the planned count; models made for maxBatch', async () => {
    // batch 2, models made for 4 sequences as a run whose evaluation batch is 4 makes them (the default S depends on it)
    const req: TuneGpuRequest = { ...base, batch: 2, maxBatch: 4 };
    const lines: TuneProgress[] = [];
    let skew = 0;
    // the clock jumps past the budget once the first configuration is done
    const cut = await tuneGpu(req, { progress: (p) => { lines.push(p); skew = 1e9; } }, {
      acquire: () => Promise.resolve(software), now: () => performance.now() + skew,
    });
    const planned = plannedConfigurations(req.grid!, req.batch);
    expect(cut.cancelled).toBe(false);
    expect(cut.skippedForBudget).toBe(2 * (planned - 1));
    for (const r of cut.results) {
      const m = createGpuModel(g, { ...r.model }, { maxBatch: 4, maxT: req.T });
      const made: KernelShape = { ...m.tuning };
      m.dispose();
      expect([r.tried, r.refused, r.complete, r.best]).toEqual([1, 0, false, made]);
      expect(r.stepMs).toBe(r.defaultStepMs);
      expect(lines.filter((p) => p.arch === r.model.arch)).toEqual([
        { arch: r.model.arch, done: 1, planned, message: expect.stringMatching(new RegExp(`^${kernelShapeLabel(made)} \\(default\\): step \\d+\\.\\d ms$`)) },
        { arch: r.model.arch, done: planned, planned, message: `${planned - 1} configuration(s) not tried: the budget was spent` },
      ]);
    }
  });

  it('a stop request after the first progress line ends the tuning with what was measured', async () => {
    const seen: TuneProgress[] = [];
    const stopped = await tuneGpu(base, { progress: (p) => seen.push(p), shouldStop: () => seen.length > 0 }, { acquire: () => Promise.resolve(software) });
    expect(stopped.cancelled).toBe(true);
    expect(seen).toHaveLength(1);
    expect(stopped.results).toHaveLength(1);
    expect(stopped.results[0]!.model).toEqual(base.models[0]);
    expect(stopped.results[0]!.tried).toBe(1);
    expect(stopped.results[0]!.complete).toBe(false);
    expect(stopped.results[0]!.stepMs).toBe(stopped.results[0]!.defaultStepMs);
  });
});
