/**
 * Loading an experiment's results: api.getExperiment, then api.getRunResults
 * for the runs with a stored result, in batches (a few in flight), with progress.
 * The per-unit envelopes (diagnostics.muUnits, most of a paper-sized
 * result's bytes) are left out (`muUnits: false`: an empty list) and fetched
 * on demand, one run at a time, by loadMuUnits when the per-unit view asks.
 * Results are cached per run (keyed by the record's status / finish time /
 * attempts, so a re-run or a newly finished run is fetched again) and shared
 * by the results and compare views. Shaped data is held without deep
 * reactivity (shallowRef + markRaw).
 */
import { markRaw, onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import type { Api } from '../../../src-shared/api';
import type { ExperimentDetail, RunRecord, RunResult } from '../../../src-shared/results';
import { useApiEvents, useClient } from '../stores/client';
import { shapeExperiment, type ExperimentResults, type LoadedRun } from './shape';

const CACHE_MAX = 400;
const cache = new Map<number, { key: string; result: RunResult | null }>();
/** per-unit envelopes of single runs (loadMuUnits), same keys */
const MU_CACHE_MAX = 8;
const muCache = new Map<number, { key: string; mu: Promise<Float64Array[]> }>();

function runKey(r: RunRecord): string {
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
  } else {
    cache.delete(runId);
    muCache.delete(runId);
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

/**
 * Results of the runs that have one (without the per-unit envelopes), fetched
 * by api.getRunResults in batches of BATCH, `concurrency` batches at a time;
 * cached results are not fetched again. progress(done, total) counts runs.
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
  want.forEach((rec, i) => {
    const hit = cache.get(rec.id);
    if (hit && hit.key === runKey(rec)) results[i] = hit.result;
    else missing.push(i);
  });
  let done = want.length - missing.length;
  progress(done, want.length);
  const batches: number[][] = [];
  for (let k = 0; k < missing.length; k += BATCH) batches.push(missing.slice(k, k + BATCH));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < batches.length) {
      const idx = batches[next++]!;
      const got = await api.getRunResults({ runIds: idx.map((i) => want[i]!.id), muUnits: false });
      idx.forEach((i, k) => {
        const rec = want[i]!;
        const result = got[k] ?? null;
        remember(rec.id, runKey(rec), result);
        results[i] = result;
      });
      done += idx.length;
      progress(done, want.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
  const out: LoadedRun[] = [];
  want.forEach((record, i) => {
    const result = results[i];
    if (result) out.push({ record, result });
  });
  return out;
}

export interface LoadedExperiment {
  detail: ExperimentDetail;
  runs: LoadedRun[];
  shaped: ExperimentResults;
}

/** A User Timing mark (read by the page-load measurements, .tmp/uip/measure.mjs); no-op where unsupported. */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(name);
}

/** One experiment, loaded and shaped (plain data, markRaw). */
export async function loadExperiment(api: Api, id: number, progress?: (done: number, total: number) => void): Promise<LoadedExperiment> {
  const detail = await api.getExperiment({ id });
  mark('lw-results-detail');
  const runs = await loadRunResults(api, detail.runs, progress);
  mark('lw-results-fetched');
  const shaped = shapeExperiment(detail.config, runs);
  mark('lw-results-shaped');
  return markRaw({ detail: markRaw(detail), runs, shaped: markRaw(shaped) });
}

/**
 * The results page's data: reloads when the id changes and (debounced) when
 * one of the experiment's runs changes status (run-status events).
 */
export function useExperimentResults(id: Ref<number>) {
  const { api } = useClient();
  const data = shallowRef<LoadedExperiment | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const progress = ref({ done: 0, total: 0 });
  const shapeMs = ref(0);
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  async function load(): Promise<void> {
    const my = ++seq;
    loading.value = true;
    error.value = null;
    try {
      const t0 = performance.now();
      const r = await loadExperiment(api, id.value, (done, total) => {
        if (my === seq) progress.value = { done, total };
      });
      if (my !== seq) return;
      shapeMs.value = performance.now() - t0;
      data.value = r;
    } catch (e) {
      if (my === seq) error.value = e instanceof Error ? e.message : String(e);
    } finally {
      if (my === seq) loading.value = false;
    }
  }

  function scheduleReload(delay = 400): void {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void load();
    }, delay);
  }

  useApiEvents((e) => {
    if (e.type === 'run-status' && e.run.experimentId === id.value) scheduleReload();
    else if (e.type === 'experiment-updated' && e.experiment.id === id.value && data.value) {
      data.value = markRaw({ ...data.value, detail: markRaw({ ...data.value.detail, ...e.experiment }) });
    } else if (e.type === 'experiment-deleted' && e.experimentId === id.value) {
      error.value = 'This experiment was deleted.';
      data.value = null;
    }
  });
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
    seq++;
  });
  watch(id, () => {
    data.value = null;
    void load();
  }, { immediate: true });

  return { data, loading, error, progress, shapeMs, reload: load };
}
