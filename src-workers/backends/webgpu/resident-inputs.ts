/**
 * Input sequences kept on the GPU (issue 6): a run's training set and the
 * epoch's validation set live in one device buffer, written once per
 * sequence, and every pass gathers its batch from it by sequence index.
 *
 * Why: at the `paper` size a mini-batch's inputs are 512 × 1024 × 16 floats
 * (32 MiB). Generating them on the host (task.ts, ~8.9 M Gaussian draws) took
 * longer than the GPU's whole training step (measured on an H200: 145 ms per
 * batch against 28–51 ms), so a host-fed epoch could never reach the GPU's
 * speed. The training set is the same every epoch (SCIENCE.md §7: only the
 * validation set is fresh), so it is generated and uploaded once and each
 * batch is a gather on the device; the data are bit for bit those the host
 * would have generated (the same task.fill, float32 either way).
 *
 * Store layout: sequence-major [capacity][T][D] (sequence s, step t, input d
 * at (s·T + t)·D + d), the targets [capacity][T] beside it (for the loss on
 * the device, device-loss.ts). write() takes the engine's time-major
 * [T][count][D] and [T][count] batches; the gather writes the model's
 * time-major [T][B][D] input buffer and, when asked, the [T][B] targets.
 */
/// <reference types="@webgpu/types" />
import type { ResidentInputs } from '../../engine/models/types';
import { createStorage, flatGrid, Kernel, writeFloats } from './runtime';
import type { GpuContext } from './types';

const GATHER_WG = 256;

/** The gather kernel (exported for the race tests' static check). */
export const GATHER_WGSL = /* wgsl */ `
struct U { B: u32, T: u32, D: u32, storeT: u32, rowThreads: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<storage, read> store: array<f32>;
@group(0) @binding(1) var<storage, read> rows: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
@group(0) @binding(3) var<uniform> u: U;

// dst[t][b][d] = store[rows[b]][t][d]: one invocation per element, a 2-D grid
// of workgroups flattened row by row (rowThreads invocations per grid row).
@compute @workgroup_size(${GATHER_WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.y * u.rowThreads + g.x;
  let bd = u.B * u.D;
  if (i >= u.T * bd) { return; }
  let t = i / bd;
  let r = i - t * bd;
  let b = r / u.D;
  let d = r - b * u.D;
  dst[i] = store[(rows[b] * u.storeT + t) * u.D + d];
}
`;

/** A storage buffer of `floats` words, or null when the device cannot bind or allocate it (its out-of-memory error is caught, not raised). */
async function tryCreate(ctx: GpuContext, floats: number, label: string): Promise<GPUBuffer | null> {
  ctx.device.pushErrorScope('out-of-memory');
  let buf: GPUBuffer;
  try {
    buf = createStorage(ctx, floats, label); // RangeError: more than the device binds
  } catch (err) {
    await ctx.device.popErrorScope();
    if (err instanceof RangeError) return null;
    throw err;
  }
  const oom = await ctx.device.popErrorScope();
  if (oom) {
    buf.destroy();
    return null;
  }
  return buf;
}

/**
 * Make a model's per-call outputs `keys` (make(key): its lazily sized
 * buffer, at least the size needed) before a store takes the device memory
 * (TrainableModel.createResidentInputs' reserve). False, with the keys'
 * buffers dropped again (drop(key); a later call makes them anew), when the
 * device is out of memory or refuses the size.
 */
export async function reserveOutputs<K>(ctx: GpuContext, keys: K[], make: (key: K) => GPUBuffer, drop: (key: K) => void): Promise<boolean> {
  ctx.device.pushErrorScope('out-of-memory');
  try {
    for (const k of keys) make(k);
  } catch (err) {
    await ctx.device.popErrorScope();
    if (!(err instanceof RangeError)) throw err;
    for (const k of keys) drop(k);
    return false;
  }
  if (await ctx.device.popErrorScope()) {
    for (const k of keys) drop(k);
    return false;
  }
  return true;
}

export class GpuResidentInputs implements ResidentInputs {
  private readonly rowsBuf!: GPUBuffer;
  private readonly rowsHost: Uint32Array;
  private readonly seq: Float32Array;
  private readonly kGather!: Kernel;
  private disposed = false;
  /** encoders that hold a gather (its rows are written at queue time: one per submitted encoder) */
  private readonly gathered = new WeakSet<GPUCommandEncoder>();

  private readonly yStore!: GPUBuffer;
  private readonly ySeq: Float32Array;

  private constructor(
    private readonly ctx: GpuContext, private readonly store: GPUBuffer,
    readonly capacity: number, readonly T: number, readonly D: number, maxBatch: number,
  ) {
    this.rowsHost = new Uint32Array(maxBatch);
    this.seq = new Float32Array(T * D);
    this.ySeq = new Float32Array(T);
    const made: GPUBuffer[] = [];
    try {
      this.rowsBuf = createStorage(ctx, maxBatch, 'resident rows');
      made.push(this.rowsBuf);
      this.yStore = createStorage(ctx, capacity * T, `resident targets (${capacity} sequences)`);
      made.push(this.yStore);
      this.kGather = new Kernel(ctx, 'resident gather', GATHER_WGSL, 3, { readOnly: [0, 1] });
    } catch (err) {
      for (const b of made) b.destroy();
      throw err;
    }
  }

  /**
   * A store for `capacity` sequences of T steps and D inputs, gathered in
   * batches of at most maxBatch; null when the device cannot hold it (more
   * than it binds per buffer, or out of memory), so the caller streams the
   * inputs from the host instead.
   */
  static async create(ctx: GpuContext, capacity: number, T: number, D: number, maxBatch: number): Promise<GpuResidentInputs | null> {
    for (const [name, v] of [['capacity', capacity], ['T', T], ['D', D], ['maxBatch', maxBatch]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`resident inputs: ${name} must be a positive integer, got ${v}`);
    }
    const store = await tryCreate(ctx, capacity * T * D, `resident inputs (${capacity} sequences)`);
    if (!store) return null;
    try {
      return new GpuResidentInputs(ctx, store, capacity, T, D, maxBatch);
    } catch (err) {
      store.destroy();
      throw err;
    }
  }

  private live(): void {
    if (this.disposed) throw new Error('resident inputs: used after dispose()');
  }

  write(first: number, count: number, x: Float32Array, y: Float32Array): void {
    this.live();
    const { T, D, seq, ySeq } = this;
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 0 || first + count > this.capacity) {
      throw new RangeError(`resident inputs: sequences [${first}, ${first + count}) outside the store's [0, ${this.capacity})`);
    }
    if (x.length < T * count * D) throw new RangeError(`resident inputs: x has ${x.length} entries, ${count} sequences need ${T * count * D}`);
    if (y.length < T * count) throw new RangeError(`resident inputs: y has ${y.length} entries, ${count} sequences need ${T * count}`);
    // one sequence at a time: [T][count][D] column b → [T][D] (writeBuffer copies at call time, so seq is reused)
    const stride = count * D;
    for (let b = 0; b < count; b++) {
      for (let t = 0, src = b * D, dst = 0; t < T; t++, src += stride, dst += D) {
        for (let d = 0; d < D; d++) seq[dst + d] = x[src + d]!;
        ySeq[t] = y[t * count + b]!;
      }
      this.ctx.device.queue.writeBuffer(this.store, (first + b) * T * D * 4, seq, 0, T * D);
      this.ctx.device.queue.writeBuffer(this.yStore, (first + b) * T * 4, ySeq, 0, T);
    }
  }

  /**
   * Encode dst[t][b][d] = sequence rows[b] (t < T, b < B) into `enc`, before
   * the kernels that read dst, and, with dstY, dstY[t][b] = its targets. The
   * row indices go through one buffer written at queue time: at most one
   * gather per submitted encoder.
   */
  encodeGather(enc: GPUCommandEncoder, rows: ArrayLike<number>, B: number, T: number, dst: GPUBuffer, dstY?: GPUBuffer): void {
    this.live();
    if (rows.length < B) throw new RangeError(`resident inputs: ${rows.length} rows for a batch of ${B}`);
    if (B > this.rowsHost.length) throw new RangeError(`resident inputs: a batch of ${B} exceeds the ${this.rowsHost.length} the store gathers`);
    if (T > this.T) throw new RangeError(`resident inputs: T = ${T} exceeds the stored ${this.T} steps`);
    if (this.gathered.has(enc)) throw new Error('resident inputs: a second gather in one command encoder would read the first one\'s rows');
    for (let b = 0; b < B; b++) {
      const r = rows[b]!;
      if (!Number.isInteger(r) || r < 0 || r >= this.capacity) throw new RangeError(`resident inputs: row ${r} (batch entry ${b}) outside [0, ${this.capacity})`);
      this.rowsHost[b] = r;
    }
    this.ctx.device.queue.writeBuffer(this.rowsBuf, 0, this.rowsHost, 0, B);
    const grid = flatGrid(this.ctx, T * B * this.D, GATHER_WG);
    this.kGather.encode(enc, grid, [this.store, this.rowsBuf, dst], [B, T, this.D, this.T, grid[0] * GATHER_WG]);
    if (dstY) {
      // the targets are the same gather with one input per step
      const gridY = flatGrid(this.ctx, T * B, GATHER_WG);
      this.kGather.encode(enc, gridY, [this.yStore, this.rowsBuf, dstY], [B, T, 1, this.T, gridY[0] * GATHER_WG]);
    }
    this.gathered.add(enc);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.store.destroy();
    this.yStore.destroy();
    this.rowsBuf.destroy();
  }
}

/**
 * A forward pass's inputs into `dst` ([T][B][D]): gathered from `resident`
 * when `rows` is given (ForwardOptions.rows), with their targets into dstY
 * when given, else copied from the host x.
 */
export function loadInputs(
  ctx: GpuContext, enc: GPUCommandEncoder, dst: GPUBuffer, x: Float32Array, B: number, T: number, D: number,
  rows: ArrayLike<number> | undefined, resident: GpuResidentInputs | null, dstY?: GPUBuffer,
): void {
  if (rows) {
    if (!resident) throw new Error('forward: rows given but the model has no resident inputs (createResidentInputs)');
    resident.encodeGather(enc, rows, B, T, dst, dstY);
    return;
  }
  if (x.length < T * B * D) throw new RangeError(`forward: x has ${x.length} entries, needs ${T * B * D}`);
  writeFloats(ctx, dst, x, 0, T * B * D);
}
