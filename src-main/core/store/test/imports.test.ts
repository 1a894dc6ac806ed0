/**
 * Storing an imported experiment (store/imports.ts): one transaction for the
 * experiment, its runs' final statuses, rows and events; a refused part
 * stores nothing; imported runs keep their flag and cannot be queued again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StoreStateError, StoreValidationError } from '../errors';
import type { ImportExperimentSpec } from '../imports';
import { expectBitExact, sampleResult, smallConfig, snapshot, tempStore } from './helpers';

let s: ReturnType<typeof tempStore>;
beforeEach(() => {
  s = tempStore();
});
afterEach(() => s.cleanup());

/** const and gru, seeds 1 and 2 (smallConfig) */
function spec(over: Partial<ImportExperimentSpec> = {}): ImportExperimentSpec {
  return {
    name: 'imp',
    config: smallConfig(),
    source: '/data/results.zip',
    tags: ['imported'],
    runs: [
      { arch: 'const', seed: 1, status: 'done', result: sampleResult(1), source: 'seed_1/const', events: [{ kind: 'import', message: 'from x', data: { n: 1 } }] },
      { arch: 'gru', seed: 1, status: 'diverged', result: sampleResult(2, { diverged: true, divergedEpoch: 4, wallMs: NaN, kernelsName: '' }), source: 'seed_1/gru' },
      { arch: 'const', seed: 2, status: 'failed', error: 'no files', result: null, source: null },
      { arch: 'gru', seed: 2, status: 'cancelled', result: sampleResult(3, { cancelled: true, diagnosticsStatus: 'skipped', diagnostics: null }), source: '' },
    ],
    ...over,
  };
}

describe('importExperiment', () => {
  it('stores the runs final and flagged, rows bit for bit, events in order, the experiment finished', () => {
    const e = s.store.importExperiment(spec());
    expect(e.source).toBe('/data/results.zip');
    expect(e.finishedAt).not.toBeNull();
    expect(e.runs.map((r) => [r.arch, r.seed, r.status, r.imported, r.source, r.hasResult, r.error, r.attempts, r.startedAt])).toEqual([
      ['const', 1, 'done', true, 'seed_1/const', true, null, 0, null],
      ['gru', 1, 'diverged', true, 'seed_1/gru', true, null, 0, null],
      ['const', 2, 'failed', true, null, false, 'no files', 0, null],
      ['gru', 2, 'cancelled', true, '', true, null, 0, null],
    ]);
    expectBitExact(s.store.getRunResult(e.runs[0]!.id), sampleResult(1));
    const diverged = s.store.getRunResult(e.runs[1]!.id)!;
    expect(diverged.wallMs).toBeNaN(); // unknown wall time: NULL
    expect(e.runs[1]!.kernels).toBeNull();
    expect(s.store.getRunResult(e.runs[2]!.id)).toBeNull();
    const ev = s.store.listRunEvents(e.runs[0]!.id);
    expect(ev.map((x) => [x.kind, x.message, x.data])).toEqual([
      ['status', 'imported as done', { from: null, to: 'done', imported: true }],
      ['import', 'from x', { n: 1 }],
    ]);
    expect(s.store.listRunEvents(e.runs[2]!.id)[0]!.message).toBe('imported as failed: no files');
  });

  it('imported runs cannot be queued again (resume / re-run)', () => {
    const e = s.store.importExperiment(spec());
    for (const r of e.runs.filter((x) => x.status === 'failed' || x.status === 'cancelled')) {
      expect(() => s.store.setRunStatus(r.id, 'queued')).toThrow(StoreStateError);
    }
  });

  it('refuses, storing nothing: a bad result, a bad status, runs that are not models × seeds, a bad configuration', () => {
    s.store.createExperiment('kept', smallConfig());
    const before = snapshot(s.store.db);
    const bad: ImportExperimentSpec[] = [];
    const a = spec();
    (a.runs as unknown as { result: unknown }[])[3]!.result = { ...sampleResult(3), curve: [{ epoch: -1 }] };
    bad.push(a);
    const b = spec();
    (b.runs as unknown as { status: string }[])[0]!.status = 'running';
    bad.push(b);
    bad.push(spec({ runs: spec().runs.slice(0, 3) }));
    bad.push(spec({ runs: [...spec().runs, { arch: 'lstm', seed: 1, status: 'done', result: null, source: null }] }));
    bad.push(spec({ runs: [...spec().runs, spec().runs[0]!] }));
    bad.push(spec({ config: { ...smallConfig(), T: 1 } }));
    const messages: string[] = [];
    for (const x of bad) {
      try {
        s.store.importExperiment(x);
        expect.fail('refused');
      } catch (err) {
        expect(err).toBeInstanceOf(StoreValidationError);
        messages.push((err as Error).message);
      }
      expect(snapshot(s.store.db)).toEqual(before);
    }
    expect(messages[0]).toContain('runs[3] (gru, seed 2): curve[0].epoch must be an integer >= 0 (got -1)');
    expect(messages[1]).toContain('runs[0].status must be one of done, diverged, failed, cancelled (got running)');
    expect(messages[2]).toContain("the runs must be the configuration's models × seeds (missing gru/2)");
    expect(messages[3]).toContain('(not in the configuration: lstm/1)');
    expect(messages[4]).toContain('runs[4]: run const, seed 1 appears twice');
    expect(messages[5]).toContain('T must be an integer >= 2');
  });
});
