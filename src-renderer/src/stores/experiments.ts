/**
 * The experiments list, kept current by live events: created / updated /
 * deleted experiments are applied in place; run-status events refetch the
 * list (throttled, since events come in bursts).
 */
import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { ApiEvent } from '../../../src-shared/api';
import type { ExperimentSummary } from '../../../src-shared/results';
import { describeError } from '../components/common/errors';
import { useClient } from './client';

const PAGE = 5000;

export const useExperimentsStore = defineStore('experiments', () => {
  const items = ref<ExperimentSummary[]>([]);
  const total = ref(0);
  const loading = ref(false);
  const loaded = ref(false);
  const error = ref('');

  async function refresh(): Promise<void> {
    loading.value = true;
    try {
      const list = await useClient().api.listExperiments({ limit: PAGE });
      items.value = list.items;
      total.value = list.total;
      error.value = '';
      loaded.value = true;
    } catch (e) {
      error.value = describeError(e);
    } finally {
      loading.value = false;
    }
  }

  let timer: ReturnType<typeof setTimeout> | null = null;
  function scheduleRefresh(ms = 400): void {
    timer ??= setTimeout(() => {
      timer = null;
      void refresh();
    }, ms);
  }

  function upsert(e: ExperimentSummary): void {
    const i = items.value.findIndex((x) => x.id === e.id);
    if (i >= 0) items.value.splice(i, 1, e);
    else {
      items.value.unshift(e);
      total.value += 1;
    }
  }

  function onEvent(e: ApiEvent): void {
    if (e.type === 'experiment-created' || e.type === 'experiment-updated') upsert(e.experiment);
    else if (e.type === 'experiment-deleted') {
      const i = items.value.findIndex((x) => x.id === e.experimentId);
      if (i >= 0) {
        items.value.splice(i, 1);
        total.value = Math.max(0, total.value - 1);
      }
    } else if (e.type === 'run-status') scheduleRefresh();
  }

  function byId(id: number): ExperimentSummary | undefined {
    return items.value.find((x) => x.id === id);
  }

  return { items, total, loading, loaded, error, refresh, scheduleRefresh, onEvent, upsert, byId };
});
