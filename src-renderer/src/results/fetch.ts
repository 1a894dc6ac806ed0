/**
 * Fetching run results, with no chart or shaping code, so that the entry
 * (main.ts) can start a results page's requests while the page's code is
 * still loading (prefetchExperiment from a router guard).
 *
 * - loadRunResults: api.getRunResults for the runs with a stored result, in
 *   batches (a few in flight), with progress, WITHOUT the per-unit envelopes
 *   (`muUnits: false`: an empty list; loadMuUnits fetches them for one run
 *   on demand) and WITHOUT the learning curves and gate statistics
 *   (`curves: false`: empty lists, about 60 % of the rest; loadRunCurves
 *   fetches them when their charts are shown). Results are cached per run,
 *   keyed by the record's status / finish time / attempts (a re-run or a
 *   newly finished run is fetched again); a run already being fetched (by a
 *   prefetch) is awaited, not fetched twice.
 * - prefetchExperiment / takePrefetchedDetail: getExperiment and its run
 *   results started early; the loader takes the detail once, if fresh.
 */
import { markRaw } from 'vue';
import type { Api } from '../../../src-shared/api';
import type { ExperimentDetail, GateStatRow, LearningCurveRow, RunRecord, RunResult } from '../../../src-shared/results';
import type { LoadedRun } from './shape';

const CACHE_MAX = 400;
const cache = new Map<number, { key: string; result: RunResult | null }>();
/** fetches in progress, per run (same keys) */
const inflight = new Map<number, { key: string; result: Promise<RunResult | null> }>();
/** per-unit envelopes of single runs (loadMuUnits), same keys */
const MU_CACHE_MAX = 8;
const muCache = new Map<number, { key: string; mu: Promise<Float64Array[]> }>();
/** learning curves and gate statistics of single runs (loadRunCurves), same keys */
const curveCache = new Map<number, { key: string; curves: Promise<RunCurves | null> }>();

/** The parts of a result that loadRunResults leaves out and loadRunCurves fetches. */
export interface RunCurves {
  curve: LearningCurveRow[];
  gateStats: GateStatRow[];
}

/** what the results page reads first: no per-unit envelopes, no learning curves or gate statistics */
const LEAN = { muUnits: false, curves: false } as const;

export function runKey(r: RunRecord): string {
  return `${r.status}|${r.finishedAt ?? ''}|${r.attempts}|${r.hasResult ? 1 : 0}`;
}

function remember(id: number, key: string, result: RunResult | null): void {
  cache.delete(id);
  cache.set(id, { key, result: result ? markRaw(result) : null });
  while (cache.size > CACHE_MAX) cache.delete(cache.keys().next().value!);
}

/** Drop cached results (all, or one run's). */
export function forgetRunResults(runId?: number): void {
  if (runId === undefined) {
    cache.clear();
    muCache.clear();
    curveCache.clear();
    inflight.clear();
    prefetched.clear();
  } else {
    cache.delete(runId);
    muCache.delete(runId);
    curveCache.delete(runId);
    inflight.delete(runId);
  }
}

/**
 * The per-unit envelopes μ_q(ℓ) of one run (one Float64Array of H values per
 * lag; [] when it has no diagnostics), fetched once per run state and cached.
 */
export function loadMuUnits(api: Api, rec: RunRecord): Promise<Float64Array[]> {
  const key = runKey(rec);
  const hit = muCache.get(rec.id);
  if (hit && hit.key === key) return hit.mu;
  const mu = api.getRunResult({ runId: rec.id, muUnits: true }).then((r) => markRaw(r?.diagnostics?.muUnits ?? []));
  mu.catch(() => {
    if (muCache.get(rec.id)?.mu === mu) muCache.delete(rec.id);
  });
  muCache.delete(rec.id);
  muCache.set(rec.id, { key, mu });
  while (muCache.size > MU_CACHE_MAX) muCache.delete(muCache.keys().next().value!);
  return mu;
}

/** runs per getRunResults call: a few calls in flight, so progress moves and decoding overlaps the host's reads */
const BATCH = 5;

/** `list` in consecutive batches of BATCH. */
function inBatches<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let k = 0; k < list.length; k += BATCH) out.push(list.slice(k, k + BATCH));
  return out;
}

/** One batch's results, promised before the batch is fetched, with the handles that settle them. */
interface PendingBatch {
  all: Promise<(RunResult | null)[]>;
  resolve: (got: (RunResult | null)[]) => void;
  reject: (e: unknown) => void;
}

function pendingBatch(): PendingBatch {
  let resolve!: PendingBatch['resolve'];
  let reject!: PendingBatch['reject'];
  const all = new Promise<(RunResult | null)[]>((res, rej) => { resolve = res; reject = rej; });
  return { all, resolve, reject };
}

/**
 * The learning curves and gate statistics of the runs that have a result
 * (runId → curves; a run whose result is gone is left out), fetched by
 * api.getRunResults (`curves: true`, no per-unit envelopes) in batches of
 * BATCH, `concurrency` at a time, and cached per run state like the results.
 */
export async function loadRunCurves(api: Api, runs: readonly RunRecord[], concurrency = 3): Promise<Map<number, RunCurves>> {
  const want = runs.filter((r) => r.hasResult);
  const pending = new Map<number, Promise<RunCurves | null>>();
  const missing: RunRecord[] = [];
  for (const rec of want) {
    const hit = curveCache.get(rec.id);
    if (hit && hit.key === runKey(rec)) pending.set(rec.id, hit.curves);
    else missing.push(rec);
  }
  const batches = inBatches(missing);
  const settle = batches.map((batch) => {
    const p = pendingBatch();
    batch.forEach((rec, k) => {
      const curves = p.all.then((got) => {
        const r = got[k];
        return r ? markRaw({ curve: markRaw(r.curve), gateStats: markRaw(r.gateStats) }) : null;
      });
      // a failed fetch is not kept: the next call tries again
      curves.catch(() => {
        if (curveCache.get(rec.id)?.curves === curves) curveCache.delete(rec.id);
      });
      pending.set(rec.id, curves);
      curveCache.delete(rec.id);
      curveCache.set(rec.id, { key: runKey(rec), curves });
    });
    return p;
  });
  while (curveCache.size > CACHE_MAX) curveCache.delete(curveCache.keys().next().value!);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const b = next++;
      try {
        settle[b]!.resolve(await api.getRunResults({ runIds: batches[b]!.map((r) => r.id), muUnits: false, curves: true }));
      } catch (e) {
        settle[b]!.reject(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  const out = new Map<number, RunCurves>();
  for (const rec of want) {
    const c = await pending.get(rec.id)!;
    if (c) out.set(rec.id, c);
  }
  return out;
}

/**
 * Results of the runs that have one (without the per-unit envelopes, the
 * learning curves and the gate statistics), fetched
 * by api.getRunResults in batches of BATCH, `concurrency` batches at a time;
 * cached results are not fetched again, runs being fetched are awaited.
 * progress(done, total) counts runs.
 */
export async function loadRunResults(
  api: Api,
  runs: readonly RunRecord[],
  progress: (done: number, total: number) => void = () => {},
  concurrency = 3,
): Promise<LoadedRun[]> {
  const want = runs.filter((r) => r.hasResult);
  const results: (RunResult | null)[] = new Array(want.length).fill(null);
  const missing: number[] = [];
  const pending: Promise<void>[] = [];
  let done = 0;
  want.forEach((rec, i) => {
    const key = runKey(rec);
    const hit = cache.get(rec.id);
    const fly = inflight.get(rec.id);
    if (hit && hit.key === key) {
      results[i] = hit.result;
      done++;
    } else if (fly && fly.key === key) {
      // fetched by someone else (a prefetch); if that fails, fetch this one alone
      pending.push(fly.result
        .catch(() => api.getRunResults({ runIds: [rec.id], ...LEAN }).then((got) => {
          remember(rec.id, key, got[0] ?? null);
          return got[0] ?? null;
        }))
        .then((r) => {
          results[i] = r;
          done++;
          progress(done, want.length);
        }));
    } else missing.push(i);
  });
  progress(done, want.length);
  const batches = inBatches(missing);
  // announce every batch's runs as in flight at once, so a concurrent caller waits instead of fetching again
  const settle = batches.map((idx) => {
    const p = pendingBatch();
    idx.forEach((i, k) => {
      const rec = want[i]!;
      const entry = { key: runKey(rec), result: p.all.then((got) => got[k] ?? null) };
      entry.result.catch(() => {});
      inflight.set(rec.id, entry);
    });
    return p;
  });
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < batches.length) {
      const b = next++;
      const idx = batches[b]!;
      let got: (RunResult | null)[];
      try {
        got = await api.getRunResults({ runIds: idx.map((i) => want[i]!.id), ...LEAN });
      } catch (e) {
        failed = true;
        for (const i of idx) inflight.delete(want[i]!.id);
        settle[b]!.reject(e);
        throw e;
      }
      idx.forEach((i, k) => {
        const rec = want[i]!;
        const result = got[k] ?? null;
        remember(rec.id, runKey(rec), result);
        if (inflight.get(rec.id)?.key === runKey(rec)) inflight.delete(rec.id);
        results[i] = result;
      });
      settle[b]!.resolve(got);
      done += idx.length;
      progress(done, want.length);
    }
  };
  try {
    await Promise.all([...Array.from({ length: Math.min(concurrency, batches.length) }, worker), ...pending]);
  } finally {
    // batches never started (a call failed): not in flight any more
    for (let b = next; b < batches.length; b++) {
      for (const i of batches[b]!) inflight.delete(want[i]!.id);
      settle[b]!.reject(new Error('not fetched'));
    }
  }
  const out: LoadedRun[] = [];
  want.forEach((record, i) => {
    const result = results[i];
    if (result) out.push({ record, result });
  });
  return out;
}

/** how long a prefetched experiment detail may be taken (ms) */
const PREFETCH_FRESH_MS = 5000;
const prefetched = new Map<number, { at: number; detail: Promise<ExperimentDetail> }>();

/**
 * Start loading experiment `id` (its detail, then its run results into the
 * cache) before the results page asks; errors are left to the page's own load.
 */
export function prefetchExperiment(api: Api, id: number): void {
  if (!Number.isInteger(id) || id <= 0) return;
  const now = Date.now();
  const hit = prefetched.get(id);
  if (hit && now - hit.at < PREFETCH_FRESH_MS) return;
  const detail = api.getExperiment({ id });
  prefetched.set(id, { at: now, detail });
  detail.then((d) => loadRunResults(api, d.runs)).catch(() => {
    prefetched.delete(id);
  });
}

/** The prefetched detail of experiment `id`, once, when started less than PREFETCH_FRESH_MS ago. */
export function takePrefetchedDetail(id: number): Promise<ExperimentDetail> | null {
  const hit = prefetched.get(id);
  prefetched.delete(id);
  return hit && Date.now() - hit.at < PREFETCH_FRESH_MS ? hit.detail : null;
}
