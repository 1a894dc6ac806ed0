/**
 * loadRunResults / loadMuUnits against a recording fake Api: the runs with a
 * result are fetched in batches WITHOUT the per-unit envelopes, results come
 * back in the runs' order, cached ones are not fetched again (a changed run
 * state is), progress counts runs; μ per unit is fetched once per run state.
 */
import { describe, expect, it } from 'vitest';
import type { Api, GetRunResultArg, GetRunResultsArg } from '../../../src-shared/api';
import type { RunRecord, RunResult } from '../../../src-shared/results';
import { forgetRunResults, loadMuUnits, loadRunResults } from './loader';

function rec(id: number, over: Partial<RunRecord> = {}): RunRecord {
  return { id, arch: 'gru', seed: id, status: 'done', finishedAt: 1000 + id, attempts: 1, hasResult: true, ...over } as RunRecord;
}

function result(id: number, mu: boolean): RunResult {
  return {
    curve: [], gateStats: [], diverged: false, divergedEpoch: null, cancelled: false, kernelsName: `k${id}`, wallMs: id,
    diagnostics: { lags: [2, 3], muUnits: mu ? [new Float64Array([id]), new Float64Array([id + 0.5])] : [] } as unknown as RunResult['diagnostics'],
  };
}

function fakeApi() {
  const calls: { method: string; arg: GetRunResultArg | GetRunResultsArg }[] = [];
  const api = {
    async getRunResults(arg: GetRunResultsArg) {
      calls.push({ method: 'getRunResults', arg });
      return arg.runIds.map((id) => result(id, arg.muUnits !== false));
    },
    async getRunResult(arg: GetRunResultArg) {
      calls.push({ method: 'getRunResult', arg });
      return result(arg.runId, arg.muUnits !== false);
    },
  } as unknown as Api;
  return { api, calls };
}

describe('loadRunResults', () => {
  it('batches of 5 without muUnits, in order, skipping runs without a result; cached runs are not fetched again', async () => {
    forgetRunResults();
    const { api, calls } = fakeApi();
    const runs = [...Array.from({ length: 12 }, (_, i) => rec(i + 1)), rec(13, { hasResult: false })];
    const seen: [number, number][] = [];
    const out = await loadRunResults(api, runs, (d, t) => seen.push([d, t]));
    expect(out.map((r) => r.record.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(out.map((r) => r.result.kernelsName)).toEqual(out.map((r) => `k${r.record.id}`));
    expect(calls.map((c) => c.method)).toEqual(['getRunResults', 'getRunResults', 'getRunResults']);
    expect(calls.map((c) => (c.arg as GetRunResultsArg).runIds.length).sort()).toEqual([2, 5, 5]);
    for (const c of calls) expect(c.arg.muUnits).toBe(false);
    for (const r of out) expect(r.result.diagnostics!.muUnits).toEqual([]);
    expect(seen[0]).toEqual([0, 12]);
    expect(seen.at(-1)).toEqual([12, 12]);

    // again: all cached except run 4, which was re-run (its attempts changed)
    calls.length = 0;
    runs[3] = rec(4, { attempts: 2 });
    const again = await loadRunResults(api, runs);
    expect(again).toHaveLength(12);
    expect(calls).toEqual([{ method: 'getRunResults', arg: { runIds: [4], muUnits: false } }]);
  });

  it('nothing to fetch: no call', async () => {
    const { api, calls } = fakeApi();
    expect(await loadRunResults(api, [rec(1, { hasResult: false })])).toEqual([]);
    expect(calls).toEqual([]);
  });
});

describe('loadMuUnits', () => {
  it('fetches one run with muUnits, once per run state', async () => {
    forgetRunResults();
    const { api, calls } = fakeApi();
    const mu = await loadMuUnits(api, rec(7));
    expect(mu.map((a) => [...a])).toEqual([[7], [7.5]]);
    await loadMuUnits(api, rec(7));
    expect(calls).toEqual([{ method: 'getRunResult', arg: { runId: 7, muUnits: true } }]);
    await loadMuUnits(api, rec(7, { finishedAt: 5 }));
    expect(calls).toHaveLength(2);
  });
});
