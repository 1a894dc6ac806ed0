/**
 * getRunResults' read options through the service (the results page loads
 * runs with `muUnits: false, curves: false` and fetches the rest on demand):
 * each option leaves out exactly its parts, the defaults read everything, and
 * a bad option value is refused with its field. Results are stored directly
 * (no training): what is checked is the Api's argument handling and reading.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../src-shared/api';
import type { RunResult } from '../../../src-shared/results';
import { sampleDiagnostics, sampleResult } from '../store/test/helpers';
import { testService, tinyConfig } from './service-helpers';

describe('getRunResults: curves and muUnits options', () => {
  let s: ReturnType<typeof testService>;
  let ids: number[] = [];
  const stored = new Map<number, RunResult>();
  beforeAll(async () => {
    // paused: the runs are moved to running and given results by hand, never by the pool
    s = testService({ workers: 1, paused: true });
    const e = await s.api.createExperiment({ name: 'read options', preset: 'smoke', config: tinyConfig({ models: ['const', 'gru'], seeds: [1, 2] }), start: false });
    ids = e.runs.map((r) => r.id);
    ids.forEach((id, k) => {
      const result = sampleResult(10 + k, { diagnostics: sampleDiagnostics(10 + k, 5, 3, k % 2 === 0) });
      // created with start: false, the runs are cancelled ("not started")
      s.store.setRunStatus(id, 'queued');
      s.store.setRunStatus(id, 'running');
      s.store.saveRunResult(id, result);
      stored.set(id, result);
    });
  });
  afterAll(async () => s.cleanup());

  it('the defaults read everything; curves: false gives empty curve and gateStats and the rest unchanged', async () => {
    const order = [...ids].reverse();
    const full = await s.api.getRunResults({ runIds: order });
    expect(full).toEqual(order.map((id) => stored.get(id)));
    expect(await s.api.getRunResults({ runIds: order, curves: true, muUnits: true })).toEqual(full);
    const lean = await s.api.getRunResults({ runIds: order, curves: false });
    expect(lean).toEqual(full.map((r) => ({ ...r!, curve: [], gateStats: [] })));
    for (const r of full) {
      expect(r!.curve.length).toBeGreaterThan(0);
      expect(r!.gateStats.length).toBeGreaterThan(0);
    }
  });

  it('curves: false with muUnits: false (what the results page loads first)', async () => {
    const lean = await s.api.getRunResults({ runIds: ids, curves: false, muUnits: false });
    expect(lean).toEqual(ids.map((id) => {
      const r = stored.get(id)!;
      return { ...r, curve: [], gateStats: [], diagnostics: { ...r.diagnostics!, muUnits: [] } };
    }));
  });

  it('a run without a result is null either way', async () => {
    const e = await s.api.createExperiment({ name: 'no results', preset: 'smoke', config: tinyConfig(), start: false });
    expect(await s.api.getRunResults({ runIds: [e.runs[0]!.id], curves: false })).toEqual([null]);
  });

  it('refuses a curves value that is not true or false, naming the field', async () => {
    for (const bad of [1, 'no', null]) {
      const err = await s.api.getRunResults({ runIds: [ids[0]!], curves: bad } as never).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe('invalid');
      expect((err as ApiError).fields?.map((f) => f.field)).toEqual(['curves']);
    }
  });
});
