import { describe, expect, it } from 'vitest';
import { aggregateSeeds, aggregateTable, meanStd } from './seed-aggregate';

describe('aggregateSeeds', () => {
  it('mean, sample std (n-1) and count per key; one seed ⇒ std 0', () => {
    const r = aggregateSeeds([
      { keys: [4, 8, 16], values: [1, 10, 5] },
      { keys: [4, 8, 16], values: [3, 20, NaN] },
      { keys: [4, 8], values: [5, 30] },
    ]);
    expect(r).toEqual([
      { key: 4, mean: 3, std: 2, count: 3 },
      { key: 8, mean: 20, std: 10, count: 3 },
      { key: 16, mean: 5, std: 0, count: 1 },
    ]);
  });
  it('skips -1 only when named as the not-detected value; keys with no value get count 0', () => {
    const seeds = [
      { keys: [25, 50], values: [-1, 100] },
      { keys: [25, 50], values: [-1, 300] },
    ];
    const kept = aggregateSeeds(seeds);
    expect(kept[0]).toEqual({ key: 25, mean: -1, std: 0, count: 2 });
    const r = aggregateSeeds(seeds, { notDetected: -1 });
    expect(r[0]!.count).toBe(0);
    expect(r[0]!.mean).toBeNaN();
    expect(r[1]).toEqual({ key: 50, mean: 200, std: Math.SQRT2 * 100, count: 2 });
  });
  it('rejects a key repeated within a seed', () => {
    expect(() => aggregateSeeds([{ keys: [1, 1], values: [0, 0] }])).toThrow(/twice/);
  });
  it('meanStd of an empty list is NaN with count 0', () => {
    expect(meanStd([])).toEqual({ mean: NaN, std: NaN, count: 0 });
  });
});

describe('aggregateTable', () => {
  it('aggregates several columns of per-seed rows', () => {
    const seedA = [
      { ell: 4, mu: 0.5, N_required: 25 },
      { ell: 8, mu: 0.25, N_required: -1 },
    ];
    const seedB = [
      { ell: 4, mu: 0.7, N_required: 75 },
      { ell: 8, mu: 0.35, N_required: 400 },
    ];
    const r = aggregateTable([seedA, seedB], 'ell', ['mu', 'N_required'], { notDetectedFields: ['N_required'] });
    expect(r.map((x) => x.key)).toEqual([4, 8]);
    expect(r[0]!.stats.mu.mean).toBeCloseTo(0.6, 14);
    expect(r[0]!.stats.N_required).toEqual({ mean: 50, std: Math.sqrt(1250), count: 2 });
    expect(r[1]!.stats.N_required).toEqual({ mean: 400, std: 0, count: 1 });
  });
});
