/**
 * loadRunResults / loadMuUnits / loadRunCurves against a recording fake Api:
 * the runs with a result are fetched in batches WITHOUT the per-unit
 * envelopes and WITHOUT learning curves and gate statistics, results come
 * back in the runs' order, cached ones are not fetched again (a changed run
 * state is), progress counts runs; μ per unit is fetched once per run state,
 * the curves once per run state, in batches;
 * a prefetch (main.ts, when navigation to a results page starts) is taken
 * over by the page: no request is made twice.
 */
import { describe, expect, it } from 'vitest';
import type { Api, GetRunResultArg, GetRunResultsArg } from '../../../src-shared/api';
import type { ExperimentDetail, RunRecord, RunResult } from '../../../src-shared/results';
import { takePrefetchedDetail } from './fetch';
import { forgetRunResults, loadMuUnits, loadRunCurves, loadRunResults, prefetchExperiment } from './loader';

function rec(id: number, over: Partial<RunRecord> = {}): RunRecord {
  return { id, arch: 'gru', seed: id, status: 'done', finishedAt: 1000 + id, attempts: 1, hasResult: true, ...over } as RunRecord;
}

/** run `id`'s result: μ per unit when `mu`; a curve of `id` epochs and one gate statistic per epoch when `curves` */
function result(id: number, mu: boolean, curves = false): RunResult {
  const epochs = curves ? id : 0;
  return {
    curve: Array.from({ length: epochs }, (_, epoch) => ({ epoch, train_loss: id, train_acc: 0, val_loss: id, val_acc: 0 })),
    gateStats: Array.from({ length: epochs }, (_, epoch) => ({ epoch, metric: 'leak_mean', value: id / 100 })),
    diverged: false, divergedEpoch: null, cancelled: false, kernelsName: `k${id}`, wallMs: id,
    diagnostics: { lags: [2, 3], muUnits: mu ? [new Float64Array([id]), new Float64Array([id + 0.5])] : [] } as unknown as RunResult['diagnostics'],
  };
}

function fakeApi() {
  const calls: { method: string; arg: GetRunResultArg | GetRunResultsArg }[] = [];
  const api = {
    async getRunResults(arg: GetRunResultsArg) {
      calls.push({ method: 'getRunResults', arg });
      return arg.runIds.map((id) => result(id, arg.muUnits !== false, arg.curves !== false));
    },
    async getRunResult(arg: GetRunResultArg) {
      calls.push({ method: 'getRunResult', arg });
      return result(arg.runId, arg.muUnits !== false);
    },
  } as unknown as Api;
  return { api, calls };
}

describe('loadRunResults', () => {
  it('batches of 5 without muUnits and curves, in order, skipping runs without a result; cached runs are not fetched again', async () => {
    forgetRunResults();
    const { api, calls } = fakeApi();
    const runs = [...Array.from({ length: 12 }, (_, i) => rec(i + 1)), rec(13, { hasResult: false })];
    const seen: [number, number][] = [];
    const out = await loadRunResults(api, runs, (d, t) => seen.push([d, t]));
    expect(out.map((r) => r.record.id)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(out.map((r) => r.result.kernelsName)).toEqual(out.map((r) => `k${r.record.id}`));
    expect(calls.map((c) => c.method)).toEqual(['getRunResults', 'getRunResults', 'getRunResults']);
    expect(calls.map((c) => (c.arg as GetRunResultsArg).runIds.length).sort()).toEqual([2, 5, 5]);
    for (const c of calls) expect([c.arg.muUnits, (c.arg as GetRunResultsArg).curves]).toEqual([false, false]);
    for (const r of out) expect([r.result.diagnostics!.muUnits, r.result.curve, r.result.gateStats]).toEqual([[], [], []]);
    expect(seen[0]).toEqual([0, 12]);
    expect(seen.at(-1)).toEqual([12, 12]);

    // again: all cached except run 4, which was re-run (its attempts changed)
    calls.length = 0;
    runs[3] = rec(4, { attempts: 2 });
    const again = await loadRunResults(api, runs);
    expect(again).toHaveLength(12);
    expect(calls).toEqual([{ method: 'getRunResults', arg: { runIds: [4], muUnits: false, curves: false } }]);
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

describe('loadRunCurves', () => {
  it('fetches the curves of the runs with a result in batches of 5, with curves and without μ; once per run state', async () => {
    forgetRunResults();
    const { api, calls } = fakeApi();
    const runs = [...Array.from({ length: 7 }, (_, i) => rec(i + 1)), rec(8, { hasResult: false })];
    const got = await loadRunCurves(api, runs);
    expect([...got.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [id, c] of got) {
      expect(c.curve.map((r) => r.epoch)).toEqual(Array.from({ length: id }, (_, e) => e));
      expect(c.gateStats.every((g) => g.value === id / 100)).toBe(true);
    }
    expect(calls.map((c) => c.arg)).toEqual([
      { runIds: [1, 2, 3, 4, 5], muUnits: false, curves: true }, { runIds: [6, 7], muUnits: false, curves: true },
    ]);
    // again: cached, except run 2 whose state changed
    calls.length = 0;
    runs[1] = rec(2, { finishedAt: 9 });
    const again = await loadRunCurves(api, runs);
    expect([...again.keys()]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(again.get(3)).toBe(got.get(3));
    expect(calls.map((c) => c.arg)).toEqual([{ runIds: [2], muUnits: false, curves: true }]);
  });

  it('a failed fetch rejects and is not cached: the next call fetches again', async () => {
    forgetRunResults();
    const { api: ok, calls } = fakeApi();
    let fail = true;
    const api = {
      ...ok,
      async getRunResults(arg: GetRunResultsArg) {
        if (fail) throw new Error('host busy');
        return ok.getRunResults(arg);
      },
    } as unknown as Api;
    await expect(loadRunCurves(api, [rec(1), rec(2)])).rejects.toThrow('host busy');
    fail = false;
    expect([...(await loadRunCurves(api, [rec(1), rec(2)])).keys()]).toEqual([1, 2]);
    expect(calls).toHaveLength(1);
  });
});

describe('prefetchExperiment (results/fetch.ts)', () => {
  function fakeExperimentApi(opts: { failBatches?: boolean } = {}) {
    const { api: base, calls } = fakeApi();
    const runs = Array.from({ length: 7 }, (_, i) => rec(i + 1));
    let resolveResults: (() => void) | null = null;
    const gate = new Promise<void>((r) => { resolveResults = r; });
    const api = {
      ...base,
      async getExperiment(arg: { id: number }) {
        calls.push({ method: 'getExperiment', arg: arg as unknown as GetRunResultsArg });
        return { id: arg.id, runs, config: {} } as unknown as ExperimentDetail;
      },
      async getRunResults(arg: GetRunResultsArg) {
        calls.push({ method: 'getRunResults', arg });
        await gate; // held until released, so a second loader finds them in flight
        if (opts.failBatches && arg.runIds.length > 1) throw new Error('host busy');
        return arg.runIds.map((id) => result(id, false));
      },
    } as unknown as Api;
    return { api, calls, runs, release: () => resolveResults!() };
  }

  it('the page takes the prefetched detail once and awaits the run results in flight instead of fetching them again', async () => {
    forgetRunResults();
    const { api, calls, runs, release } = fakeExperimentApi();
    prefetchExperiment(api, 3);
    prefetchExperiment(api, 3); // a second navigation start: no second request
    const detail = await takePrefetchedDetail(3)!;
    expect(detail.id).toBe(3);
    expect(takePrefetchedDetail(3)).toBeNull();
    await Promise.resolve();
    const seen: [number, number][] = [];
    const loading = loadRunResults(api, runs, (d, t) => seen.push([d, t]));
    release();
    const out = await loading;
    expect(out.map((r) => r.record.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(calls.filter((c) => c.method === 'getExperiment')).toHaveLength(1);
    expect(calls.filter((c) => c.method === 'getRunResults').map((c) => (c.arg as GetRunResultsArg).runIds)).toEqual([[1, 2, 3, 4, 5], [6, 7]]);
    expect(seen.at(-1)).toEqual([7, 7]);
  });

  it('a failed prefetch of run results: the page fetches each of them itself', async () => {
    forgetRunResults();
    const { api, calls, runs, release } = fakeExperimentApi({ failBatches: true });
    prefetchExperiment(api, 4);
    await takePrefetchedDetail(4);
    await Promise.resolve();
    const loading = loadRunResults(api, runs);
    release();
    const out = await loading;
    expect(out.map((r) => r.result.kernelsName)).toEqual(runs.map((r) => `k${r.id}`));
    const ids = calls.filter((c) => c.method === 'getRunResults').map((c) => (c.arg as GetRunResultsArg).runIds);
    expect(ids.slice(0, 2)).toEqual([[1, 2, 3, 4, 5], [6, 7]]); // the prefetch's batches (failed)
    expect(ids.slice(2).sort((a, b) => a[0]! - b[0]!)).toEqual(runs.map((r) => [r.id])); // the page's own, one run each
    // and they are cached now
    const again = fakeApi();
    expect(await loadRunResults(again.api, runs)).toHaveLength(7);
    expect(again.calls).toEqual([]);
  });

  it('ignores ids that cannot be experiments', () => {
    forgetRunResults();
    const { api, calls } = fakeExperimentApi();
    prefetchExperiment(api, Number('abc'));
    prefetchExperiment(api, 0);
    expect(calls).toEqual([]);
    expect(takePrefetchedDetail(0)).toBeNull();
  });
});
