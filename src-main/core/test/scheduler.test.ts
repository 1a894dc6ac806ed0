/**
 * The scheduler through the service: faults in workers (a task that throws, a
 * worker thread that exits) fail only their run and the pool keeps going;
 * cancellation of a running run within a second; pause and resume; progress
 * throttled to ≤ 4 events per second per run and persisted while running;
 * close() leaves running runs interrupted, resumable to done.
 *
 * Faults are injected by a test-only worker entry (fixtures/faulty-worker.mjs:
 * the real task, except seeds 666 and 667); throttling and pausing use a
 * paced fake worker (fixtures/paced-worker.mjs) whose timing is known.
 */
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../src-shared/api';
import { CLOSED_MESSAGE, isTenthStep } from '../scheduler';
import { KeyedThrottle } from '../throttle';
import { createService } from '../service';
import {
  FAULTY_WORKER, isStatus, nextEvent, PACED_WORKER, pacedConfig, statuses, tempDir, testService, tinyConfig, until,
} from './service-helpers';

type Progress = Extract<ApiEvent, { type: 'run-progress' }>;

describe('faults in workers', () => {
  it('a task that throws and a worker that exits fail only their own run, with the message; the others finish', async () => {
    const s = testService({ workers: 2, workerFile: FAULTY_WORKER });
    try {
      const e = await s.api.createExperiment({ name: 'faults', preset: 'smoke', config: tinyConfig({ seeds: [666, 1, 667, 2] }) });
      await s.scheduler.drain();
      const runs = (await s.api.getExperiment({ id: e.id })).runs;
      expect(runs.map((r) => [r.seed, r.status])).toEqual([[666, 'failed'], [1, 'done'], [667, 'failed'], [2, 'done']]);
      expect(runs[0]!.error).toBe('injected failure (seed 666)');
      expect(runs[2]!.error).toBe('the worker stopped unexpectedly (worker exited with code: 7)');
      expect(runs[0]!.hasResult).toBe(false);
      expect((await s.api.getRunResult({ runId: runs[1]!.id }))!.diagnosticsStatus).toBe('done');
      const log = await s.api.listRunEvents({ runId: runs[2]!.id });
      expect(log.at(-1)!.message).toBe('running → failed: the worker stopped unexpectedly (worker exited with code: 7)');
      // the pool replaced the dead worker: more runs on the same pool finish
      const again = await s.api.createExperiment({ name: 'after', preset: 'smoke', config: tinyConfig({ seeds: [3, 4] }) });
      await s.scheduler.drain();
      expect(statuses((await s.api.getExperiment({ id: again.id })).runs)).toEqual(['done', 'done']);
      // a failed run can run again (and fails again, deterministically)
      const rerun = await s.api.rerunRun({ runId: runs[0]!.id });
      expect(rerun.status).toBe('queued');
      await s.scheduler.drain();
      const r0 = await s.api.getRun({ runId: runs[0]!.id });
      expect([r0.status, r0.attempts, r0.error]).toEqual(['failed', 2, 'injected failure (seed 666)']);
    } finally {
      await s.cleanup();
    }
  });
});

describe('cancellation', () => {
  it('a running run stops within a second of the call (real training), its partial result saved', async () => {
    const s = testService({ workers: 2 });
    try {
      // thousands of epochs: minutes if not cancelled
      const e = await s.api.createExperiment({ name: 'long', preset: 'smoke', config: tinyConfig({ epochs: 20_000, seeds: [1, 2], models: ['gru'] }) });
      const [a, b] = e.runs;
      await nextEvent(s, (x): x is Progress => x.type === 'run-progress' && x.runId === a!.id && (x.epoch ?? 0) >= 2);
      const cancelled = nextEvent(s, isStatus(a!.id, 'cancelled'));
      const t0 = performance.now();
      const during = await s.api.cancelRun({ runId: a!.id });
      expect(during.status).toBe('running'); // it stops at its next mini-batch
      await cancelled;
      const ms = performance.now() - t0;
      expect(ms).toBeLessThan(1000);
      const r = (await s.api.getRunResult({ runId: a!.id }))!;
      expect(r.cancelled).toBe(true);
      expect(r.curve.length).toBeGreaterThanOrEqual(3);
      expect(r.curve.length).toBeLessThan(20_000);
      // the other run goes on; cancelling the experiment stops it too
      expect((await s.api.getRun({ runId: b!.id })).status).toBe('running');
      const t1 = performance.now();
      const bStopped = nextEvent(s, isStatus(b!.id, 'cancelled'));
      await s.api.cancelExperiment({ id: e.id });
      await bStopped;
      expect(performance.now() - t1).toBeLessThan(1000);
      console.log(`cancel latency: run ${ms.toFixed(0)} ms, experiment ${(performance.now() - t1).toFixed(0)} ms`);
      // and a cancelled run can run again
      expect((await s.api.rerunRun({ runId: a!.id })).status).toBe('queued');
      await s.api.cancelRun({ runId: a!.id });
    } finally {
      await s.cleanup();
    }
  });

  it('queued runs are cancelled at once and never start', async () => {
    const s = testService({ workers: 1, workerFile: PACED_WORKER });
    try {
      const e = await s.api.createExperiment({ name: 'q', config: pacedConfig(200, 5, { seeds: [1, 2, 3] }) });
      await until(() => s.scheduler.running.length === 1);
      const c = await s.api.cancelExperiment({ id: e.id });
      expect(statuses(c.runs)).toEqual(['running', 'cancelled', 'cancelled']);
      await s.scheduler.drain();
      const after = await s.api.getExperiment({ id: e.id });
      expect(statuses(after.runs)).toEqual(['cancelled', 'cancelled', 'cancelled']);
      expect(after.runs.map((r) => r.attempts)).toEqual([1, 0, 0]);
      expect(after.finishedAt).not.toBeNull();
    } finally {
      await s.cleanup();
    }
  });
});

describe('pause and resume', () => {
  it('pausing lets running runs finish and starts nothing new until resumed', async () => {
    const s = testService({ workers: 1, workerFile: PACED_WORKER });
    try {
      await s.api.pauseQueue();
      const e = await s.api.createExperiment({ name: 'p', config: pacedConfig(20, 10, { seeds: [1, 2] }) });
      const [a, b] = e.runs;
      await new Promise((r) => setTimeout(r, 300));
      expect(await s.api.getQueue()).toEqual({ paused: true, workers: 1, gpuRuns: 4, running: [], queued: [a!.id, b!.id] });
      await s.api.resumeQueue();
      await until(() => s.scheduler.running.length === 1);
      await s.api.pauseQueue(); // a runs on
      await nextEvent(s, isStatus(a!.id, 'done'));
      await new Promise((r) => setTimeout(r, 300));
      expect((await s.api.getRun({ runId: b!.id })).status).toBe('queued');
      expect((await s.api.getQueue()).running).toEqual([]);
      await s.api.resumeQueue();
      await nextEvent(s, isStatus(b!.id, 'done'));
    } finally {
      await s.cleanup();
    }
  });

  it('more workers start more runs at once', async () => {
    const s = testService({ workers: 1, workerFile: PACED_WORKER });
    try {
      await s.api.createExperiment({ name: 'w', config: pacedConfig(50, 10, { seeds: [1, 2, 3] }) });
      await until(() => s.scheduler.running.length === 1);
      await s.api.setWorkers({ workers: 3 });
      await until(() => s.scheduler.running.length === 3, 5000, 'three running');
      await s.scheduler.drain();
    } finally {
      await s.cleanup();
    }
  });
});

describe('progress', () => {
  it('is throttled to at most one event per 250 ms per run, persisted while running, and the last epoch always arrives', async () => {
    const s = testService({ workers: 2, workerFile: PACED_WORKER });
    try {
      // 2 runs × 400 epochs, one every 4 ms: 250 messages per second per run, for about 1.6 s
      const e = await s.api.createExperiment({ name: 'fast', config: pacedConfig(400, 4, { seeds: [1, 2] }) });
      const a = e.runs[0]!;
      // rows are stored in one transaction per second for all runs
      const midRun = await until(() => {
        const r = s.store.getRun(a.id)!;
        return r.status === 'running' && r.epochsDone >= 20 ? r : null;
      }, 10_000, 'stored progress rows');
      expect(midRun.epochsDone).toBeLessThan(400);
      await s.scheduler.drain();
      for (const run of e.runs) {
        const p = s.events.filter((x): x is Progress => x.type === 'run-progress' && x.runId === run.id);
        const rec = await s.api.getRun({ runId: run.id });
        const seconds = rec.wallMs! / 1000;
        expect(p.length).toBeLessThanOrEqual(Math.ceil(seconds / 0.25) + 2);
        expect(p.length).toBeGreaterThanOrEqual(2);
        for (let i = 1; i < p.length; i++) expect(p[i]!.epoch!).toBeGreaterThan(p[i - 1]!.epoch!);
        expect((await s.api.getRunResult({ runId: run.id }))!.curve).toHaveLength(400);
      }
    } finally {
      await s.cleanup();
    }
  });

  it('KeyedThrottle: immediate, then one trailing call per interval with the latest function', async () => {
    let t = 0;
    const th = new KeyedThrottle<string>(100, () => t);
    const calls: string[] = [];
    th.run('k', () => calls.push('a'));
    t = 10;
    th.run('k', () => calls.push('b'));
    t = 20;
    th.run('k', () => calls.push('c'));
    th.run('j', () => calls.push('j'));
    expect(calls).toEqual(['a', 'j']);
    th.flush('k');
    expect(calls).toEqual(['a', 'j', 'c']);
    t = 200;
    th.run('k', () => calls.push('d'));
    expect(calls).toEqual(['a', 'j', 'c', 'd']);
    th.clear();
  });

  it('diagnostics steps logged at each tenth of a stage', () => {
    const steps = Array.from({ length: 100 }, (_, i) => i + 1).filter((d) => isTenthStep(d, 100));
    expect(steps).toEqual([1, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(Array.from({ length: 7 }, (_, i) => isTenthStep(i + 1, 7)).every(Boolean)).toBe(true);
  });
});

describe('closing the service', () => {
  it('leaves running runs interrupted (their progress kept) and queued ones queued; a new service resumes them to done', async () => {
    const t = tempDir();
    try {
      const s1 = createService({ dataDir: t.dir, host: 'web', workers: 1, workerFile: PACED_WORKER, warn: () => {} });
      const e = await s1.api.createExperiment({ name: 'closing', config: pacedConfig(150, 10, { seeds: [1, 2] }) });
      const [a, b] = e.runs;
      await until(() => (s1.store.getRun(a!.id)!.epochsDone >= 2 ? true : null), 10_000);
      expect(s1.store.getRun(a!.id)!.status).toBe('running');
      await s1.close();
      const s2 = createService({ dataDir: t.dir, host: 'web', workers: 2, workerFile: PACED_WORKER, warn: () => {}, paused: true });
      try {
        const ra = await s2.api.getRun({ runId: a!.id });
        expect([ra.status, ra.error]).toEqual(['interrupted', CLOSED_MESSAGE]);
        expect(ra.epochsDone).toBeGreaterThanOrEqual(2);
        expect((await s2.api.getRun({ runId: b!.id })).status).toBe('queued');
        expect(s2.recovered).toEqual([]);
        await s2.api.resumeExperiment({ id: e.id });
        await s2.api.resumeQueue();
        await s2.scheduler.drain();
        const after = await s2.api.getExperiment({ id: e.id });
        expect(statuses(after.runs)).toEqual(['done', 'done']);
        expect(after.runs[0]!.attempts).toBe(2);
        expect((await s2.api.getRunResult({ runId: a!.id }))!.curve).toHaveLength(150);
      } finally {
        await s2.close();
      }
    } finally {
      t.cleanup();
    }
  });

  it('deleting an experiment while it runs stops its runs and stores nothing more', async () => {
    const s = testService({ workers: 1, workerFile: PACED_WORKER });
    try {
      const e = await s.api.createExperiment({ name: 'doomed', config: pacedConfig(500, 10) });
      await until(() => s.scheduler.running.length === 1);
      expect(await s.api.deleteExperiment({ id: e.id })).toEqual({ deleted: true });
      await until(() => s.scheduler.running.length === 0, 2000, 'the run to stop');
      expect(s.store.getRun(e.runs[0]!.id)).toBeNull();
      expect((await s.api.listExperiments({})).total).toBe(0);
    } finally {
      await s.cleanup();
    }
  });
});
