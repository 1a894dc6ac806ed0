/** Sweep grids, the work bound, and the error-bar data (bias ± std by definition). */
import { describe, expect, it } from 'vitest';
import { NOISE_LAB_LIMITS, type NoiseLabSweepRow } from '../../../src-shared/api';
import { errorBarSeries, rangeList, rmseSeries, seedList, sweepTooLarge, sweepWork } from './sweep';
import { loadDraft, mergeDraft, saveDraft, type StorageLike } from './persist';

const row = (alpha: number, n: number, method: 'ecf' | 'mcculloch', mean: number, std: number, rmse = 0): NoiseLabSweepRow => ({
  alpha, n, method, trials: 4, mean_alpha_hat: mean, std, rmse, mean_sigma_hat: 1, reliable_fraction: 1, fallbacks: 0,
});

describe('sweep helpers', () => {
  it('ranges and seeds', () => {
    expect(rangeList(1.1, 1.5, 0.1)).toEqual([1.1, 1.2, 1.3, 1.4, 1.5]);
    expect(rangeList(1, 2, 0.25)).toEqual([1, 1.25, 1.5, 1.75, 2]);
    expect(rangeList(1, 2, 0)).toEqual([]);
    expect(rangeList(2, 1, 0.1)).toEqual([]);
    expect(seedList(10, 3)).toEqual([10, 11, 12]);
  });

  it('work = alphas × seeds × Σn × (1 + methods), bounded like the service', () => {
    expect(sweepWork(3, [100, 1000], 4, 2)).toBe(3 * 4 * 1100 * 3);
    expect(sweepTooLarge(NOISE_LAB_LIMITS.maxSweepWork)).toBe(false);
    expect(sweepTooLarge(NOISE_LAB_LIMITS.maxSweepWork + 1)).toBe(true);
  });

  it('error bars: one series per (method, n), bias = mean − α, bar = bias ± std, groups spread around α', () => {
    const rows = [row(1.2, 500, 'ecf', 1.25, 0.1), row(1.2, 500, 'mcculloch', 1.1, 0.2), row(1.8, 500, 'ecf', 1.7, 0.05), row(1.8, 500, 'mcculloch', 1.9, 0)];
    const s = errorBarSeries(rows, 0.04);
    expect(s.map((x) => x.name)).toEqual(['ecf n=500', 'mcculloch n=500']);
    const [e, m] = s;
    expect(e!.data[0]![0]).toBeCloseTo(1.18, 12);
    expect(m!.data[0]![0]).toBeCloseTo(1.22, 12);
    expect(e!.data[0]!.slice(1)).toEqual([1.25 - 1.2, 1.25 - 1.2 - 0.1, 1.25 - 1.2 + 0.1]);
    expect(m!.data[1]!.slice(1)).toEqual([1.9 - 1.8, 1.9 - 1.8, 1.9 - 1.8]);
    expect(errorBarSeries([row(1.5, 10, 'ecf', 1.5, 0)])[0]!.data[0]![0]).toBe(1.5);
    const r = rmseSeries([row(1.2, 1000, 'ecf', 1.2, 0, 0.1), row(1.2, 100, 'ecf', 1.2, 0, 0.3)]);
    expect(r).toEqual([{ name: 'ecf α=1.2', method: 'ecf', alpha: 1.2, data: [[100, 0.3], [1000, 0.1]] }]);
  });
});

describe('drafts', () => {
  const defaults = { alpha: 1.5, method: 'ecf', ns: [500, 1000], auto: true };
  it('merges only valid fields within bounds', () => {
    const m = mergeDraft(defaults, { alpha: 3, method: 'mcculloch', ns: [100], auto: 'yes', extra: 1 }, { alpha: [1, 2], method: ['ecf', 'mcculloch'] });
    expect(m).toEqual({ alpha: 1.5, method: 'mcculloch', ns: [100], auto: true });
    expect(mergeDraft(defaults, { alpha: NaN, method: 'hill' }, { method: ['ecf', 'mcculloch'] })).toEqual(defaults);
    expect(mergeDraft(defaults, 'junk')).toEqual(defaults);
  });
  it('round-trips through a storage and survives a damaged one', () => {
    const mem = new Map<string, string>();
    const st: StorageLike = { getItem: (k) => mem.get(k) ?? null, setItem: (k, v) => void mem.set(k, v) };
    saveDraft('k', { ...defaults, alpha: 1.25 }, st);
    expect(loadDraft('k', defaults, {}, st).alpha).toBe(1.25);
    mem.set('k', '{not json');
    expect(loadDraft('k', defaults, {}, st)).toEqual(defaults);
    expect(loadDraft('k', defaults, {}, null)).toEqual(defaults);
  });
});
