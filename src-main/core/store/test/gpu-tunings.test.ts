/**
 * GPU kernel tunings in the store (gpu-tunings.ts, migration 0004): saved and
 * listed (filters, order), a new measurement of a key replacing the old one
 * (upsert, one transaction), invalid rows refused with their field and nothing
 * stored, deleted by id, handed to runs of a key (every adapter's); and a run's
 * kernel shape stored with its result (runs.kernel_shape) and read back with
 * the result and the run record.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KernelShape } from '../../../../src-shared/gpu-tuning';
import { StoreNotFoundError, StoreValidationError } from '../errors';
import type { NewGpuTuning } from '../gpu-tunings';
import { sampleResult, smallConfig, snapshot, tempStore } from './helpers';

let s: ReturnType<typeof tempStore>;
let clock: number;
beforeEach(() => {
  clock = 1_700_000_000_000;
  s = tempStore({ now: () => clock });
});
afterEach(() => s.cleanup());

const H200 = 'NVIDIA H200';
const RADEON = 'AMD Radeon RX 7900 XTX';

function tuning(over: Partial<NewGpuTuning> = {}): NewGpuTuning {
  return {
    adapter: H200, arch: 'gru', D: 1, H: 64, layernorm: false, batch: 16,
    shape: { workgroupSize: 128, seqsPerWorkgroup: 2, unroll: 'auto' }, stepMs: 3.5, defaultStepMs: 5.25, T: 1024, tried: 21, ...over,
  };
}

/** The field names a validation error names. */
function fieldsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreValidationError);
    return (err as StoreValidationError).errors.map((e) => e.field);
  }
  throw new Error('expected a StoreValidationError');
}

describe('saving and listing', () => {
  it('stores every field (unroll an integer or \'auto\'), with ids and the time; lists in adapter, arch, D, H, batch order', () => {
    const rows = [
      tuning({ adapter: RADEON, arch: 'lstm' }),
      tuning({ arch: 'lstm', H: 128, shape: { workgroupSize: 256, seqsPerWorkgroup: 1, unroll: 4 }, defaultStepMs: null }),
      tuning({ arch: 'gru', batch: 32, layernorm: true }),
      tuning({ arch: 'gru', batch: 8 }),
      tuning({ arch: 'const', D: 3, shape: { workgroupSize: 32, seqsPerWorkgroup: 8, unroll: 1 } }),
    ];
    const stored = s.store.saveGpuTunings(rows);
    expect(stored.map(({ id: _i, tunedAt: _t, ...r }) => r)).toEqual(rows);
    expect(new Set(stored.map((r) => r.id)).size).toBe(5);
    expect(stored.every((r) => r.tunedAt === clock)).toBe(true);
    // the integer factor is an SQLite INTEGER, 'auto' a TEXT
    expect(s.store.db.prepare('SELECT typeof(unroll) FROM gpu_tunings ORDER BY id').pluck().all()).toEqual(['text', 'integer', 'text', 'text', 'integer']);

    const listed = s.store.listGpuTunings();
    // 'AMD …' sorts before 'NVIDIA …'
    expect(listed.map((r) => [r.adapter, r.arch, r.D, r.H, r.batch])).toEqual([
      [RADEON, 'lstm', 1, 64, 16],
      [H200, 'const', 3, 64, 16],
      [H200, 'gru', 1, 64, 8],
      [H200, 'gru', 1, 64, 32],
      [H200, 'lstm', 1, 128, 16],
    ]);
    expect(listed).toEqual([stored[0], stored[4], stored[3], stored[2], stored[1]]);
  });

  it('filters combine with AND; a bad filter value is refused naming it', () => {
    s.store.saveGpuTunings([
      tuning(), tuning({ adapter: RADEON }), tuning({ arch: 'lstm' }), tuning({ H: 32 }), tuning({ layernorm: true }), tuning({ batch: 4 }),
      tuning({ D: 2 }),
    ]);
    const keys = (f: Parameters<typeof s.store.listGpuTunings>[0]) =>
      s.store.listGpuTunings(f).map((r) => `${r.adapter === H200 ? 'h' : 'r'} ${r.arch} ${r.D} ${r.H} ${r.layernorm ? 'ln' : '-'} ${r.batch}`);
    expect(keys({ adapter: RADEON })).toEqual(['r gru 1 64 - 16']);
    expect(keys({ arch: 'lstm' })).toEqual(['h lstm 1 64 - 16']);
    expect(keys({ adapter: H200, arch: 'gru', H: 64, batch: 16 })).toEqual(['h gru 1 64 - 16', 'h gru 1 64 ln 16', 'h gru 2 64 - 16']);
    expect(keys({ adapter: H200, layernorm: true })).toEqual(['h gru 1 64 ln 16']);
    expect(keys({ D: 2 })).toEqual(['h gru 2 64 - 16']);
    expect(keys({ H: 32, batch: 4 })).toEqual([]);
    expect(keys({ adapter: 'none' })).toEqual([]);
    expect(fieldsOf(() => s.store.listGpuTunings({ arch: 'rnn' as never, H: 0, layernorm: 1 as never, adapter: 5 as never }))).toEqual(['adapter', 'arch', 'H', 'layernorm']);
  });
});

describe('a new measurement replaces the old (upsert)', () => {
  it('same key: one row, its id kept, every measured value and the time replaced; another key: a new row', () => {
    const [first] = s.store.saveGpuTunings([tuning()]);
    clock += 60_000;
    const next = tuning({ shape: { workgroupSize: 64, seqsPerWorkgroup: 4, unroll: 4 }, stepMs: 2, defaultStepMs: null, T: 24, tried: 3 });
    const [second, other] = s.store.saveGpuTunings([next, tuning({ layernorm: true })]);
    expect(second).toEqual({ ...next, id: first!.id, tunedAt: clock });
    expect(other!.id).not.toBe(first!.id);
    expect(s.store.listGpuTunings()).toEqual([second, other]);
  });

  it('rows are validated first: one bad row stores nothing (the good ones neither), naming each field', () => {
    s.store.saveGpuTunings([tuning()]);
    const before = snapshot(s.store.db);
    const bad = [
      tuning({ arch: 'lstm', stepMs: 1 }),
      tuning({ adapter: '', arch: 'rnn' as never, D: 0, H: 1.5, batch: -1, T: 0, layernorm: 'yes' as never }),
      tuning({ shape: { workgroupSize: 96, seqsPerWorkgroup: 1, unroll: 'auto' } }),
      tuning({ shape: { workgroupSize: 64, seqsPerWorkgroup: 0, unroll: 2 } }),
      tuning({ shape: { workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 33 } }),
      tuning({ shape: { workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 'rolled' as never } }),
      tuning({ stepMs: 0, defaultStepMs: Number.NaN, tried: -1 }),
      tuning({ stepMs: Infinity, defaultStepMs: -2, tried: 2.5 }),
    ];
    expect(fieldsOf(() => s.store.saveGpuTunings(bad))).toEqual([
      'rows[1].adapter', 'rows[1].arch', 'rows[1].D', 'rows[1].H', 'rows[1].batch', 'rows[1].T', 'rows[1].layernorm',
      'rows[2].shape', 'rows[3].shape', 'rows[4].shape', 'rows[5].shape',
      'rows[6].stepMs', 'rows[6].defaultStepMs', 'rows[6].tried',
      'rows[7].stepMs', 'rows[7].defaultStepMs', 'rows[7].tried',
    ]);
    expect(fieldsOf(() => s.store.saveGpuTunings([tuning(), null as never]))).toEqual(['rows[1]']);
    expect(fieldsOf(() => s.store.saveGpuTunings('x' as never))).toEqual(['rows']);
    expect(snapshot(s.store.db)).toEqual(before);
  });

  it('two rows of one key in one call are refused (which measurement would win is not the store\'s choice)', () => {
    expect(fieldsOf(() => s.store.saveGpuTunings([tuning(), tuning({ arch: 'lstm' }), tuning({ stepMs: 1 })]))).toEqual(['rows[2]']);
    expect(s.store.listGpuTunings()).toEqual([]);
    expect(s.store.saveGpuTunings([])).toEqual([]);
  });
});

describe('delete and the tunings of a run', () => {
  it('deleteGpuTuning removes one row; an unknown id is StoreNotFoundError', () => {
    const [a, b] = s.store.saveGpuTunings([tuning(), tuning({ arch: 'lstm' })]);
    s.store.deleteGpuTuning(a!.id);
    expect(s.store.listGpuTunings()).toEqual([b]);
    expect(() => s.store.deleteGpuTuning(a!.id)).toThrow(StoreNotFoundError);
    expect(() => s.store.deleteGpuTuning(a!.id)).toThrow(`no GPU tuning with id ${a!.id}`);
  });

  it('runTuningsFor: every adapter\'s tuning of exactly that (arch, D, H, layernorm, batch), by adapter', () => {
    const radeon: KernelShape = { workgroupSize: 64, seqsPerWorkgroup: 4, unroll: 1 };
    s.store.saveGpuTunings([
      tuning(), tuning({ adapter: RADEON, shape: radeon }),
      tuning({ arch: 'lstm' }), tuning({ D: 2 }), tuning({ H: 32 }), tuning({ layernorm: true }), tuning({ batch: 8 }),
    ]);
    expect(s.store.runTuningsFor({ arch: 'gru', D: 1, H: 64, layernorm: false, batch: 16 })).toEqual([
      { adapter: RADEON, shape: radeon }, { adapter: H200, shape: tuning().shape },
    ]);
    expect(s.store.runTuningsFor({ arch: 'gru', D: 1, H: 64, layernorm: true, batch: 16 })).toEqual([{ adapter: H200, shape: tuning().shape }]);
    expect(s.store.runTuningsFor({ arch: 'diag', D: 1, H: 64, layernorm: false, batch: 16 })).toEqual([]);
  });
});

describe('a run\'s kernel shape', () => {
  function runningRun(): number {
    const id = s.store.createExperiment('e', smallConfig({ models: ['gru'], seeds: [1] })).runs[0]!.id;
    s.store.setRunStatus(id, 'running', { backendUsed: 'webgpu', adapter: H200 });
    return id;
  }

  it('saveRunResult stores it (exactly its four fields) and getRunResult / getRun give it back; absent: null and absent', () => {
    const id = runningRun();
    expect(s.store.getRun(id)!.kernelShape).toBeNull();
    const kernelShape = { workgroupSize: 256, seqsPerWorkgroup: 1, unroll: 'auto', source: 'default' } as const;
    // stored as cancelled, so that the run may be queued again below
    const rec = s.store.saveRunResult(id, sampleResult(1, { backend: 'webgpu', adapter: H200, kernelShape: { ...kernelShape, extra: 1 } as never }), { status: 'cancelled' });
    expect(rec.kernelShape).toEqual(kernelShape);
    expect(s.store.getRunResult(id)!.kernelShape).toEqual(kernelShape);
    expect(JSON.parse(s.store.db.prepare('SELECT kernel_shape FROM runs WHERE id = ?').pluck().get(id) as string)).toEqual(kernelShape);
    expect(s.store.getExperiment(rec.experimentId)!.runs[0]!.kernelShape).toEqual(kernelShape);

    // a CPU result (the run queued again and run on the CPU) has none: the column is cleared
    s.store.setRunStatus(id, 'queued');
    s.store.setRunStatus(id, 'running', { backendUsed: 'cpu' });
    const cpu = s.store.saveRunResult(id, sampleResult(2, { backend: 'cpu' }));
    expect(cpu.kernelShape).toBeNull();
    expect('kernelShape' in s.store.getRunResult(id)!).toBe(false);
  });

  it('a tuned shape with an integer unroll round-trips', () => {
    const id = runningRun();
    const kernelShape = { workgroupSize: 32, seqsPerWorkgroup: 8, unroll: 4, source: 'tuned' } as const;
    s.store.saveRunResult(id, sampleResult(1, { backend: 'webgpu', adapter: H200, kernelShape }));
    expect(s.store.getRunResult(id)!.kernelShape).toEqual(kernelShape);
    expect(s.store.getRun(id)!.kernelShape).toEqual(kernelShape);
  });

  it('an invalid kernel shape is refused naming kernelShape, nothing written', () => {
    const id = runningRun();
    const before = snapshot(s.store.db);
    for (const bad of [
      { workgroupSize: 100, seqsPerWorkgroup: 1, unroll: 'auto', source: 'tuned' },
      { workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 'auto', source: 'guessed' },
      { workgroupSize: 64, seqsPerWorkgroup: 1, unroll: 'auto' },
      null,
      'S 1, WG 64',
    ]) {
      expect(fieldsOf(() => s.store.saveRunResult(id, sampleResult(1, { kernelShape: bad as never })))).toEqual(['kernelShape']);
    }
    expect(snapshot(s.store.db)).toEqual(before);
  });
});
