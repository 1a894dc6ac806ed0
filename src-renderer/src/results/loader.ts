/**
 * Loading an experiment's results for the results and compare views:
 * api.getExperiment (or the detail prefetched by main.ts's router guard),
 * then the run results through results/fetch.ts (batched, cached per run,
 * without the per-unit envelopes, which loadMuUnits fetches on demand, and
 * without the learning curves and gate statistics, which loadRunCurves does),
 * shaped once (results/shape.ts). Shaped data is held without deep
 * reactivity (shallowRef + markRaw).
 */
import { markRaw, onBeforeUnmount, ref, shallowRef, watch, type Ref } from 'vue';
import type { Api } from '../../../src-shared/api';
import type { ExperimentDetail } from '../../../src-shared/results';
import { useApiEvents, useClient } from '../stores/client';
import { loadRunResults, takePrefetchedDetail } from './fetch';
import { shapeExperiment, type ExperimentResults, type LoadedRun } from './shape';

export { forgetRunResults, loadMuUnits, loadRunCurves, loadRunResults, prefetchExperiment, type RunCurves } from './fetch';

export interface LoadedExperiment {
  detail: ExperimentDetail;
  runs: LoadedRun[];
  shaped: ExperimentResults;
}

/** A User Timing mark (read by scripts/bench-ui.ts); no-op where unsupported. */
function mark(name: string): void {
  if (typeof performance !== 'undefined' && typeof performance.mark === 'function') performance.mark(name);
}

/** One experiment, loaded and shaped (plain data, markRaw). */
export async function loadExperiment(api: Api, id: number, progress?: (done: number, total: number) => void): Promise<LoadedExperiment> {
  const detail = await (takePrefetchedDetail(id) ?? api.getExperiment({ id }));
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
