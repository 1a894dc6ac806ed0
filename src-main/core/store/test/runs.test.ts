/**
 * Runs: the status transitions of DESIGN.md §2 (every pair tried), time
 * stamps and attempts, start-up recovery of runs left running, the event log,
 * and live learning-curve rows.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunStatus } from '../../../../src-shared/results';
import { StoreNotFoundError, StoreStateError, StoreValidationError } from '../errors';
import { openStore } from '../store';
import { expectBitExact, smallConfig, tempStore } from './helpers';

const STATUSES: RunStatus[] = ['queued', 'running', 'done', 'failed', 'diverged', 'cancelled', 'interrupted'];
/**
 * The transitions the design allows, written out here on their own:
 * queued → running → done|failed|diverged|cancelled|interrupted;
 * interrupted|failed|cancelled → queued; and queued → cancelled (never started).
 */
const ALLOWED = new Set([
  'queued>running', 'queued>cancelled',
  'running>done', 'running>failed', 'running>diverged', 'running>cancelled', 'running>interrupted',
  'interrupted>queued', 'failed>queued', 'cancelled>queued',
]);

let s: ReturnType<typeof tempStore>;
let clock = 1_000;
beforeEach(() => {
  clock = 1_000;
  s = tempStore({ now: () => clock });
});
afterEach(() => s.cleanup());

function newRun(): number {
  return s.store.createExperiment('e', smallConfig({ models: ['gru'], seeds: [1] })).runs[0]!.id;
}

/** A fresh run brought to `status` by allowed steps. */
function runIn(status: RunStatus): number {
  const id = newRun();
  if (status === 'queued') return id;
  s.store.setRunStatus(id, 'running');
  if (status !== 'running') s.store.setRunStatus(id, status);
  return id;
}

describe('status transitions', () => {
  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));
  it.each(pairs)('%s → %s', (from, to) => {
    const id = runIn(from);
    const before = s.store.getRun(id)!;
    const events = s.store.listRunEvents(id).length;
    clock += 10;
    if (ALLOWED.has(`${from}>${to}`)) {
      const after = s.store.setRunStatus(id, to, to === 'failed' ? { error: 'it broke' } : {});
      expect(after.status).toBe(to);
      const ev = s.store.listRunEvents(id);
      expect(ev).toHaveLength(events + 1);
      expect(ev.at(-1)).toMatchObject({ kind: 'status', at: clock, data: { from, to } });
    } else {
      let err: unknown;
      try {
        s.store.setRunStatus(id, to);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StoreStateError);
      expect((err as Error).message).toContain(`cannot go from ${from} to ${to}`);
      expect(s.store.getRun(id)).toEqual(before);
      expect(s.store.listRunEvents(id)).toHaveLength(events);
    }
  });

  it('time stamps, attempts and error text along queued → running → failed → queued → running → done', () => {
    const id = newRun();
    clock = 2000;
    expect(s.store.setRunStatus(id, 'running')).toMatchObject({ status: 'running', startedAt: 2000, finishedAt: null, attempts: 1 });
    clock = 3000;
    expect(s.store.setRunStatus(id, 'failed', { error: 'out of memory' })).toMatchObject({ finishedAt: 3000, error: 'out of memory' });
    clock = 4000;
    expect(s.store.setRunStatus(id, 'queued')).toMatchObject({ status: 'queued', finishedAt: null, error: null, attempts: 1 });
    clock = 5000;
    expect(s.store.setRunStatus(id, 'running', { kernels: 'ts-f32' })).toMatchObject({ startedAt: 5000, attempts: 2, kernels: 'ts-f32' });
    clock = 6000;
    expect(s.store.setRunStatus(id, 'done')).toMatchObject({ status: 'done', finishedAt: 6000, error: null, kernels: 'ts-f32' });
    expect(s.store.listRunEvents(id).map((e) => e.message)).toEqual([
      'queued → running', 'running → failed: out of memory', 'failed → queued', 'queued → running', 'running → done',
    ]);
  });

  it('an unknown run is an error', () => {
    expect(() => s.store.setRunStatus(4242, 'running')).toThrow(StoreNotFoundError);
  });
});

describe('start-up recovery', () => {
  it('runs left running become interrupted (and only those), then resume', () => {
    const e = s.store.createExperiment('e', smallConfig());
    const [a, b, c, d] = e.runs.map((r) => r.id) as [number, number, number, number];
    s.store.setRunStatus(a, 'running');
    s.store.setRunStatus(b, 'running');
    s.store.setRunStatus(c, 'running');
    s.store.setRunStatus(c, 'done');
    // the process dies: nothing is told to the store; a new process opens it
    s.store.close();
    const again = openStore({ path: s.path, now: () => 7777 });
    try {
      const before = [c, d].map((id) => again.getRun(id));
      const marked = again.markRunningInterrupted();
      expect(marked.map((r) => r.id).sort()).toEqual([a, b].sort());
      for (const r of marked) expect(r).toMatchObject({ status: 'interrupted', finishedAt: 7777, error: expect.stringContaining('stopped') });
      expect([c, d].map((id) => again.getRun(id))).toEqual(before);
      expect(again.listRunEvents(a).at(-1)).toMatchObject({ kind: 'status', data: { from: 'running', to: 'interrupted' } });
      expect(again.markRunningInterrupted()).toEqual([]);
      expect(again.getExperiment(e.id)!.finishedAt).toBeNull(); // interrupted runs are not finished
      expect(again.getExperiment(e.id)!.progress).toMatchObject({ interrupted: 2, done: 1, queued: 1 });
      again.setRunStatus(a, 'queued');
      expect(again.setRunStatus(a, 'running').attempts).toBe(2);
    } finally {
      again.close();
    }
  });
});

describe('events', () => {
  it('append and list, with data, paging by id', () => {
    const id = newRun();
    const e1 = s.store.appendRunEvent(id, 'log', 'epoch 1', { loss: 0.5, tags: ['a'] });
    const e2 = s.store.appendRunEvent(id, 'log', 'epoch 2');
    expect(e2).toBeGreaterThan(e1);
    const all = s.store.listRunEvents(id);
    expect(all.map((e) => [e.kind, e.message, e.data])).toEqual([['log', 'epoch 1', { loss: 0.5, tags: ['a'] }], ['log', 'epoch 2', null]]);
    expect(s.store.listRunEvents(id, { afterId: e1 }).map((e) => e.id)).toEqual([e2]);
    expect(() => s.store.appendRunEvent(id, ' ')).toThrow(StoreValidationError);
    expect(() => s.store.appendRunEvent(99999, 'log')).toThrow(StoreNotFoundError);
  });
});

describe('live progress rows', () => {
  it('append while running, replace an epoch, count in epochsDone, round-trip bit-exact', () => {
    const id = runIn('running');
    const rows = [
      { epoch: 0, train_loss: 1.5, train_acc: -1, val_loss: Infinity, val_acc: NaN },
      { epoch: 1, train_loss: 0.1 + 0.2, train_acc: 5e-324, val_loss: 1e300, val_acc: -Infinity },
    ];
    s.store.saveProgress(id, rows.slice(0, 1));
    s.store.saveProgress(id, rows.slice(1));
    expect(s.store.getRun(id)!.epochsDone).toBe(2);
    const fixed = { epoch: 1, train_loss: 0.25, train_acc: 0.5, val_loss: 0.75, val_acc: 1 };
    s.store.saveProgress(id, [fixed]);
    expect(s.store.getRun(id)!.epochsDone).toBe(2);
    const stored = s.store.db.prepare('SELECT epoch, train_loss, train_acc, val_loss, val_acc FROM learning_curve WHERE run_id = ? ORDER BY epoch').all(id) as Record<string, number | null>[];
    const back = stored.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? NaN : v])));
    expectBitExact(back, [rows[0], fixed]);
  });

  it('refused when the run is not running, or the rows are invalid (nothing written)', () => {
    const queued = runIn('queued');
    expect(() => s.store.saveProgress(queued, [{ epoch: 0, train_loss: 1, train_acc: 1, val_loss: 1, val_acc: 1 }])).toThrow(StoreStateError);
    const id = runIn('running');
    const bad = (rows: unknown[], field: string) => {
      let err: unknown;
      try {
        s.store.saveProgress(id, rows as never);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StoreValidationError);
      expect((err as StoreValidationError).errors.map((x) => x.field)).toContain(field);
    };
    bad([{ epoch: 0.5, train_loss: 1, train_acc: 1, val_loss: 1, val_acc: 1 }], 'rows[0].epoch');
    bad([{ epoch: 0, train_loss: 1, train_acc: 1, val_loss: 1, val_acc: 1 }, { epoch: 0, train_loss: 1, train_acc: 1, val_loss: 1, val_acc: 1 }], 'rows[1].epoch');
    bad([{ epoch: 0, train_loss: '1', train_acc: 1, val_loss: 1, val_acc: 1 }], 'rows[0].train_loss');
    expect(s.store.getRun(id)!.epochsDone).toBe(0);
    expect(s.store.getRun(queued)!.epochsDone).toBe(0);
  });
});
