/**
 * The run's inputs (train-inputs.ts) with a host-side stand-in for a device
 * store: whatever is stored, and every batch's rows and targets, must be what
 * task.fill gives for those sequences alone (SCIENCE.md §1: each sequence has
 * its own seed), whether the training set went up in chunks or the
 * validation set in slices between passes.
 */
import { describe, expect, it } from 'vitest';
import type { ResidentInputs, TrainableModel } from './models/types';
import { SyntheticTask, type DataSet, type TaskSpec } from './task';
import { createRunInputs, type ResidentSizes } from './train-inputs';

const spec: TaskSpec = { D: 3, T: 10, task_lags: [1, 4], task_coeffs: [0.7, -0.4], noise_std: 0.2 };
const task = new SyntheticTask(spec, 99);
const { T, D } = spec;

/** Sequence-major copy of what was written: [capacity][T][D], NaN where nothing was. */
class HostStore implements ResidentInputs {
  readonly data: Float64Array;
  writes = 0;
  disposed = false;
  dispose(): void {
    this.disposed = true;
  }
  readonly ydata: Float64Array;
  constructor(readonly capacity: number) {
    this.data = new Float64Array(capacity * T * D).fill(NaN);
    this.ydata = new Float64Array(capacity * T).fill(NaN);
  }
  write(first: number, count: number, x: Float32Array, y: Float32Array): void {
    this.writes++;
    for (let b = 0; b < count; b++) {
      for (let t = 0; t < T; t++) {
        for (let d = 0; d < D; d++) this.data[((first + b) * T + t) * D + d] = x[(t * count + b) * D + d]!;
        this.ydata[(first + b) * T + t] = y[t * count + b]!;
      }
    }
  }
}

function fakeModel(store: HostStore | null): TrainableModel<Float32Array> {
  return { createResidentInputs: async (capacity: number) => (store && store.capacity === capacity ? store : null) } as unknown as TrainableModel<Float32Array>;
}

/** task.fill of one sequence, float32 as the trainer's buffers hold it. */
function one(set: DataSet, epoch: number, id: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(T * D);
  const y = new Float32Array(T);
  task.fill(set, epoch, Int32Array.of(id), 1, x, y);
  return { x, y };
}

function stored(store: HostStore, row: number): Float64Array {
  return store.data.subarray(row * T * D, (row + 1) * T * D);
}

function storedY(store: HostStore, row: number): Float64Array {
  return store.ydata.subarray(row * T, (row + 1) * T);
}

const sizes: ResidentSizes = { nTrain: 7, nVal: 5, T, D, batchesPerEpoch: 2 };
const maxBatch = 3;

async function residentRun() {
  const store = new HostStore(sizes.nTrain + sizes.nVal);
  const x = new Float32Array(maxBatch * T * D);
  const y = new Float32Array(maxBatch * T);
  const inputs = await createRunInputs(fakeModel(store), task, sizes, x, y, maxBatch, true);
  return { store, inputs, x, y };
}

describe('resident run inputs', () => {
  it('store the training set once, each sequence exactly as task.fill makes it alone', async () => {
    const { store, inputs } = await residentRun();
    expect(inputs.resident).toBe(true);
    expect(store.writes).toBe(3); // 7 sequences in chunks of maxBatch = 3
    for (let s = 0; s < sizes.nTrain; s++) {
      expect(Array.from(stored(store, s)), `sequence ${s}`).toEqual(Array.from(one('train', 0, s).x));
      expect(Array.from(storedY(store, s)), `targets ${s}`).toEqual(Array.from(one('train', 0, s).y));
    }
    expect(stored(store, sizes.nTrain).every(Number.isNaN)).toBe(true); // no validation set before an epoch begins
  });

  it('a training batch: rows are the ids, targets [T][B] those of the ids', async () => {
    const { inputs, x, y } = await residentRun();
    inputs.beginEpoch(0);
    const ids = Int32Array.of(6, 0, 3);
    y.fill(NaN);
    const rows = inputs.rows('train', 0, ids, 3, x, y)!;
    expect(Array.from(rows)).toEqual([6, 0, 3]);
    expect(y.every(Number.isNaN)).toBe(true); // the targets come separately (while the device runs the pass)
    inputs.targets('train', 0, ids, 3, y);
    ids.forEach((id, b) => {
      const want = one('train', 0, id).y;
      for (let t = 0; t < T; t++) expect(y[t * 3 + b]).toBe(want[t]);
    });
    expect(() => inputs.rows('train', 0, Int32Array.of(7), 1, x, y)).toThrow(/train sequence 7 outside \[0, 7\)/);
    expect(() => inputs.targets('train', 0, Int32Array.of(-1), 1, y)).toThrow(/train sequence -1 outside \[0, 7\)/);
    expect(() => inputs.rows('diag', 0, Int32Array.of(0), 1, x, y)).toThrow(/no 'diag' set/);
  });

  it("the epoch's validation set: in slices between passes, the rest on demand, fresh every epoch", async () => {
    const { store, inputs, x, y } = await residentRun();
    for (const epoch of [0, 1]) {
      inputs.beginEpoch(epoch);
      // slice = ceil(nVal / (2 · batchesPerEpoch)) = 2 sequences per background() call
      inputs.background();
      for (let v = 0; v < 2; v++) expect(Array.from(stored(store, sizes.nTrain + v))).toEqual(Array.from(one('val', epoch, v).x));
      if (epoch === 0) expect(stored(store, sizes.nTrain + 2).every(Number.isNaN)).toBe(true);
      const ids = Int32Array.of(4, 1);
      const rows = inputs.rows('val', epoch, ids, 2, x, y)!; // completes the set
      inputs.targets('val', epoch, ids, 2, y);
      expect(Array.from(rows)).toEqual([sizes.nTrain + 4, sizes.nTrain + 1]);
      for (let v = 0; v < sizes.nVal; v++) {
        expect(Array.from(stored(store, sizes.nTrain + v)), `epoch ${epoch} val ${v}`).toEqual(Array.from(one('val', epoch, v).x));
        expect(Array.from(storedY(store, sizes.nTrain + v)), `epoch ${epoch} val targets ${v}`).toEqual(Array.from(one('val', epoch, v).y));
      }
      ids.forEach((id, b) => {
        const want = one('val', epoch, id).y;
        for (let t = 0; t < T; t++) expect(y[t * 2 + b]).toBe(want[t]);
      });
      const writes = store.writes;
      inputs.background(); // nothing left this epoch
      expect(store.writes).toBe(writes);
    }
    // epoch 1's set differs from epoch 0's (SCIENCE.md §7: a fresh validation set)
    expect(one('val', 1, 0).x).not.toEqual(one('val', 0, 0).x);
    expect(() => inputs.rows('val', 0, Int32Array.of(0), 1, x, y)).toThrow(/epoch 0 asked, epoch 1 begun/);
  });

  it('host-fed when not allowed, when the model has no store, or when its device cannot hold one', async () => {
    const x = new Float32Array(maxBatch * T * D);
    const y = new Float32Array(maxBatch * T);
    const cases = [
      await createRunInputs(fakeModel(new HostStore(12)), task, sizes, x, y, maxBatch, false),
      await createRunInputs({} as TrainableModel, task, sizes, x, y, maxBatch, true),
      await createRunInputs(fakeModel(null), task, sizes, x, y, maxBatch, true),
    ];
    for (const inputs of cases) {
      expect(inputs.resident).toBe(false);
      const ids = Int32Array.of(2, 5);
      expect(inputs.rows('train', 0, ids, 2, x, y)).toBeUndefined();
      inputs.targets('train', 0, ids, 2, y); // nothing more to do
      const want = new Float32Array(T * 2 * D);
      const wantY = new Float32Array(T * 2);
      task.fill('train', 0, ids, 2, want, wantY);
      expect(x.subarray(0, want.length)).toEqual(want);
      expect(y.subarray(0, wantY.length)).toEqual(wantY);
    }
  });
});
