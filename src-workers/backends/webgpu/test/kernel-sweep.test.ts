/**
 * The kernel-shape sweep (kernel-sweep.ts) on a tiny model: its order (the
 * default first, with the shape a model without overrides gets), refusals
 * recorded with their reason, no shape timed twice, the best row the argmin
 * of the timed ones, the deadline's cut (only the default timed, the rest
 * counted as skipped, on the sweep's clock), the models made for maxBatch
 * as runs make theirs, and the best shape reproducible by a model made with
 * it. Timings are measured, never asserted.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelShapeLabel, type TuneGrid } from '../../../../src-shared/gpu-tuning';
import type { ModelShape } from '../../../engine/models/types';
import { createGpuModel } from '../index';
import { plannedConfigurations, sweepInputs, sweepKernelShapes, type SweepResult, type TuneRow } from '../kernel-sweep';
import type { GpuKernelShape } from '../types';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

const D = 2, H = 8, B = 4, T = 6;
const shape: ModelShape = { arch: 'diag', D, H, layernorm: false, constS: 0.1 };

/** A power of two above what a workgroup may hold on this device. */
function tooWide(maxInvocations: number): number {
  let w = 1;
  while (w <= maxInvocations) w *= 2;
  return w;
}

describe.skipIf(!ctx)('sweepKernelShapes', () => {
  const g = ctx!;
  const big = tooWide(g.limits.maxInvocationsPerWorkgroup);
  // S 4 with WG 8 is the default shape of diag at H 8, B 4 (WG = ceilPow2(H), S = min(4, B)): a duplicate to find
  const grid: TuneGrid = { seqs: [1, 4, 8], wg: [8, 16, big], unroll: ['auto'] };
  let r: SweepResult;
  const progress: { row: TuneRow | null; done: number; planned: number }[] = [];
  const duplicates: GpuKernelShape[] = [];
  let defaultShape: GpuKernelShape;

  beforeAll(async () => {
    const m = createGpuModel(g, shape, { maxBatch: B, maxT: T });
    defaultShape = { ...m.tuning };
    m.dispose();
    r = await sweepKernelShapes(g, shape, sweepInputs(D, B, T), {
      grid, reps: 1, profile: false, deadline: performance.now() + 600_000,
      onRow: (row, done, planned) => progress.push({ row, done, planned }),
      onDuplicate: (_asked, used, done, planned) => { duplicates.push(used); progress.push({ row: null, done, planned }); },
    });
  });

  it('plans 1 + #unroll + #(S ≤ B)·#WG + #unroll configurations (S 8 > B left out)', () => {
    expect(plannedConfigurations(grid, B)).toBe(1 + 1 + 2 * 3 + 1);
    expect(r.planned).toBe(9);
    expect(r.stopped).toBe(false);
    expect(r.skipped).toBe(0);
  });

  it('times the default first (rolled loops), with the shape of a model made without overrides', () => {
    expect(r.rows[0]!.asked).toBe('default');
    expect(r.rows[0]!.used).toEqual(defaultShape);
    expect(defaultShape.unroll).toBe(1);
    expect(r.rows[0]!.train_step_s).toBeGreaterThan(0);
    expect(r.defaultRow).toBe(r.rows[0]);
    expect(r.rows[1]!.asked).toEqual({ unroll: 'auto' });
    expect(r.rows[1]!.used).toEqual({ ...defaultShape, unroll: 'auto' });
  });

  it('records a workgroup wider than the device allows as refused, with the reason', () => {
    const refused = r.rows.filter((row) => row.asked !== 'default' && row.asked.workgroupSize === big);
    expect(refused.map((row) => (row.asked as { seqsPerWorkgroup: number }).seqsPerWorkgroup)).toEqual([1, 4]);
    for (const row of refused) {
      expect(row.used).toBeNull();
      expect(row.train_step_s).toBeNull();
      expect(row.refused).toMatch(/workgroupSize/);
    }
  });

  it('never times a shape twice: the default shape asked again is reported as a duplicate', () => {
    const timed = r.rows.filter((row) => row.used !== null).map((row) => kernelShapeLabel(row.used!));
    expect(new Set(timed).size).toBe(timed.length);
    expect(duplicates.map(kernelShapeLabel)).toContain(kernelShapeLabel(defaultShape));
    // every planned configuration was either a row or a duplicate (nothing skipped)
    expect(r.rows.length + duplicates.length).toBe(r.planned);
  });

  it('reports progress once per configuration, done counting up to the planned count', () => {
    expect(progress.map((p) => p.done)).toEqual(Array.from({ length: r.planned }, (_, i) => i + 1));
    expect(progress.every((p) => p.planned === r.planned)).toBe(true);
    expect(progress.filter((p) => p.row !== null).map((p) => p.row)).toEqual(r.rows);
  });

  it('returns as best the timed row with the smallest training step', () => {
    const timed = r.rows.filter((row) => row.train_step_s !== null);
    expect(timed.length).toBeGreaterThanOrEqual(5); // default, unroll auto, S 1 × WG 8/16, S 4 × WG 16
    const min = Math.min(...timed.map((row) => row.train_step_s!));
    expect(r.best).not.toBeNull();
    expect(r.best!.train_step_s).toBe(min);
    expect(r.best).toBe(timed.find((row) => row.train_step_s === min));
  });

  it('the last configurations are the fastest (S, WG) of the default unroll with each unroll setting', () => {
    const defaultUnroll = r.rows.filter((row) => row.used !== null && row.used.unroll === 1 && row.train_step_s !== null);
    const fastest = defaultUnroll.reduce((a, row) => (row.train_step_s! < a.train_step_s! ? row : a)).used!;
    const want: GpuKernelShape = { ...fastest, unroll: 'auto' };
    const last = r.rows.at(-1)!;
    // unless that shape was timed already (the default shape with unroll auto is row 2): then it is a duplicate
    if (kernelShapeLabel(want) === kernelShapeLabel(r.rows[1]!.used!)) expect(duplicates.at(-1)).toEqual(want);
    else expect(last.used).toEqual(want);
  });

  it('a model made with the best shape reports that shape', () => {
    const best = r.best!.used!;
    const m = createGpuModel(g, shape, { maxBatch: B, maxT: T, tuning: best });
    try {
      expect(m.tuning).toEqual(best);
    } finally {
      m.dispose();
    }
  });

  it('past the deadline only the default is timed; the rest are counted as skipped', async () => {
    const rows: TuneRow[] = [];
    const cut = await sweepKernelShapes(g, { ...shape, arch: 'lstm' }, sweepInputs(D, B, T), {
      grid, reps: 1, profile: false, deadline: performance.now() - 1, onRow: (row) => rows.push(row),
    });
    expect(cut.rows).toHaveLength(1);
    expect(cut.rows[0]!.asked).toBe('default');
    expect(cut.rows[0]!.train_step_s).toBeGreaterThan(0);
    expect(cut.best).toBe(cut.rows[0]);
    expect(cut.skipped).toBe(cut.planned - 1);
    expect(rows).toEqual(cut.rows);
  });

  it('makes its models for maxBatch sequences, as a run does (the default S depends on it), timing batches of B', async () => {
    const small = 2;
    const made = (maxBatch: number): GpuKernelShape => {
      const m = createGpuModel(g, shape, { maxBatch, maxT: T });
      try {
        return { ...m.tuning };
      } finally {
        m.dispose();
      }
    };
    // with maxBatch B the default S differs from the one a model for 2 sequences gets: the check below can tell them apart
    expect(made(B)).not.toEqual(made(small));
    const cut = await sweepKernelShapes(g, shape, sweepInputs(D, small, T), {
      grid, reps: 1, profile: false, deadline: performance.now() - 1, maxBatch: B,
    });
    expect(cut.rows[0]!.used).toEqual(made(B));
    expect(cut.rows[0]!.train_step_s).toBeGreaterThan(0);
    await expect(sweepKernelShapes(g, shape, sweepInputs(D, B, T), { grid, reps: 1, profile: false, deadline: 0, maxBatch: B - 1 }))
      .rejects.toThrow(`maxBatch must be an integer ≥ the timed batch ${B} (got ${B - 1})`);
  });

  it('reads the deadline on its clock (now)', async () => {
    let t = 0;
    // the clock passes the deadline after the default: the rest skipped, whatever the wall time
    const cut = await sweepKernelShapes(g, shape, sweepInputs(D, B, T), {
      grid, reps: 1, profile: false, deadline: 1, now: () => t, onRow: () => { t = 2; },
    });
    expect([cut.rows.length, cut.skipped]).toEqual([1, cut.planned - 1]);
  });

  it('shouldStop ends the sweep between configurations', async () => {
    let calls = 0;
    const stop = await sweepKernelShapes(g, shape, sweepInputs(D, B, T), {
      grid, reps: 1, profile: false, deadline: performance.now() + 600_000, shouldStop: () => ++calls > 1,
    });
    expect(stop.stopped).toBe(true);
    expect(stop.rows).toHaveLength(1);
    expect(stop.rows[0]!.asked).toBe('default');
    expect(stop.skipped).toBe(0);
  });
});

describe('kernel sweep helpers', () => {
  it('sweepInputs: T·B·D seeded values, the same for the same seed', () => {
    const a = sweepInputs(3, 2, 5);
    expect(a.x).toHaveLength(30);
    expect(a.B).toBe(2);
    expect(a.T).toBe(5);
    expect(sweepInputs(3, 2, 5).x).toEqual(a.x);
    expect(sweepInputs(3, 2, 5, 8).x).not.toEqual(a.x);
  });
});
