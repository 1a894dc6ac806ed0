/**
 * The run queue and the live state of the runs in it: QueueState from
 * getQueue / 'queue' events, each queued or running run's record from
 * getRun / 'run-status' events, and its latest progress from 'run-progress'
 * events (epoch, losses and R², ETA).
 */
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, triggerRef } from 'vue';
import type { ApiEvent, QueueState } from '../../../src-shared/api';
import type { LearningCurveRow, RunRecord } from '../../../src-shared/results';
import { describeError } from '../components/common/errors';
import { useClient } from './client';

export interface LiveProgress {
  phase: 'train' | 'diagnostics';
  epoch?: number;
  epochs?: number;
  row?: LearningCurveRow;
  stage?: 'batches' | 'lags';
  done?: number;
  total?: number;
  etaSeconds?: number;
  at: number;
}

export interface LiveRun {
  record: RunRecord;
  progress: LiveProgress | null;
  /** the latest training row seen (kept through the diagnostics phase) */
  lastRow: LearningCurveRow | null;
  epochs: number | null;
}

/** Keep finished runs in the live list for this long (ms), so one sees them end. */
const KEEP_FINISHED_MS = 5 * 60_000;

export const useQueueStore = defineStore('queue', () => {
  const state = ref<QueueState | null>(null);
  const runs = shallowRef(new Map<number, LiveRun>());
  const error = ref('');

  function touch(): void {
    triggerRef(runs);
  }

  async function fetchRuns(ids: number[]): Promise<void> {
    const api = useClient().api;
    const missing = ids.filter((id) => !runs.value.has(id));
    // a few at a time: a paper experiment queues 125 runs
    for (let i = 0; i < missing.length; i += 16) {
      const chunk = await Promise.all(missing.slice(i, i + 16).map((runId) => api.getRun({ runId }).catch(() => null)));
      for (const r of chunk) if (r) upsertRecord(r);
    }
  }

  async function refresh(): Promise<void> {
    try {
      const q = await useClient().api.getQueue();
      state.value = q;
      error.value = '';
      await fetchRuns([...q.running, ...q.queued]);
    } catch (e) {
      error.value = describeError(e);
    }
  }

  function upsertRecord(r: RunRecord): void {
    const cur = runs.value.get(r.id);
    if (cur) cur.record = r;
    else runs.value.set(r.id, { record: r, progress: null, lastRow: null, epochs: null });
    touch();
  }

  function prune(): void {
    const now = Date.now();
    let changed = false;
    for (const [id, lr] of runs.value) {
      const st = lr.record.status;
      if (st !== 'queued' && st !== 'running' && (lr.record.finishedAt ?? now) < now - KEEP_FINISHED_MS) {
        runs.value.delete(id);
        changed = true;
      }
    }
    if (changed) touch();
  }

  function onEvent(e: ApiEvent): void {
    if (e.type === 'queue') {
      state.value = e.state;
      void fetchRuns([...e.state.running, ...e.state.queued]);
    } else if (e.type === 'run-status') {
      upsertRecord(e.run);
      prune();
    } else if (e.type === 'run-progress') {
      const lr = runs.value.get(e.runId);
      if (!lr) {
        void fetchRuns([e.runId]);
        return;
      }
      lr.progress = {
        phase: e.phase, epoch: e.epoch, epochs: e.epochs, row: e.row, stage: e.stage, done: e.done, total: e.total,
        etaSeconds: e.etaSeconds, at: Date.now(),
      };
      if (e.row) lr.lastRow = e.row;
      if (e.epochs !== undefined) lr.epochs = e.epochs;
      if (lr.record.status === 'queued') lr.record = { ...lr.record, status: 'running' };
      touch();
    } else if (e.type === 'experiment-deleted') {
      let changed = false;
      for (const [id, lr] of runs.value) {
        if (lr.record.experimentId === e.experimentId) {
          runs.value.delete(id);
          changed = true;
        }
      }
      if (changed) touch();
    }
  }

  const list = computed(() => [...runs.value.values()].sort((a, b) => {
    const rank = (s: string): number => (s === 'running' ? 0 : s === 'queued' ? 1 : 2);
    return rank(a.record.status) - rank(b.record.status) || a.record.id - b.record.id;
  }));

  async function pause(): Promise<void> {
    state.value = await useClient().api.pauseQueue();
  }
  async function resume(): Promise<void> {
    state.value = await useClient().api.resumeQueue();
  }
  async function setWorkers(workers: number): Promise<void> {
    state.value = await useClient().api.setWorkers({ workers });
  }
  async function setGpuRuns(gpuRuns: number): Promise<void> {
    state.value = await useClient().api.setGpuRuns({ gpuRuns });
  }
  async function cancelRun(runId: number): Promise<void> {
    upsertRecord(await useClient().api.cancelRun({ runId }));
  }

  return { state, runs, list, error, refresh, onEvent, pause, resume, setWorkers, setGpuRuns, cancelRun, upsertRecord };
});
