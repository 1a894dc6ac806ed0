/**
 * Loading an experiment's results: api.getExperiment, then api.getRunResult
 * for every run with a stored result, in parallel (bounded), with progress.
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
  if (runId === undefined) cache.clear();
  else cache.delete(runId);
}

/** Results of the runs that have one, fetched `concurrency` at a time; progress(done, total). */
export async function loadRunResults(
  api: Api,
  runs: readonly RunRecord[],
  progress: (done: number, total: number) => void = () => {},
  concurrency = 6,
): Promise<LoadedRun[]> {
  const want = runs.filter((r) => r.hasResult);
  const out: (LoadedRun | null)[] = new Array(want.length).fill(null);
  let done = 0;
  let next = 0;
  progress(0, want.length);
  const worker = async (): Promise<void> => {
    while (next < want.length) {
      const i = next++;
      const rec = want[i]!;
      const key = runKey(rec);
      const hit = cache.get(rec.id);
      let result: RunResult | null;
      if (hit && hit.key === key) result = hit.result;
      else {
        result = await api.getRunResult({ runId: rec.id });
        remember(rec.id, key, result);
      }
      if (result) out[i] = { record: rec, result };
      progress(++done, want.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, want.length) }, worker));
  return out.filter((x): x is LoadedRun => x !== null);
}

export interface LoadedExperiment {
  detail: ExperimentDetail;
  runs: LoadedRun[];
  shaped: ExperimentResults;
}

/** One experiment, loaded and shaped (plain data, markRaw). */
export async function loadExperiment(api: Api, id: number, progress?: (done: number, total: number) => void): Promise<LoadedExperiment> {
  const detail = await api.getExperiment({ id });
  const runs = await loadRunResults(api, detail.runs, progress);
  return markRaw({ detail: markRaw(detail), runs, shaped: markRaw(shapeExperiment(detail.config, runs)) });
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
