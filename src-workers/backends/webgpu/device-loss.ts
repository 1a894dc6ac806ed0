/**
 * The training loss on the device (ForwardOptions.loss, SCIENCE.md §3): for
 * every (t, b), d = ŷ − y, ∂L/∂ŷ = scale·d kept on the device for backward(),
 * and Σ d² (a compensated reduction, reductions.ts) the only value read back.
 *
 * Why: the host's loss loop over T·B values, ŷ read back and ∂L/∂ŷ uploaded
 * (2 MiB each way at the `paper` size) sat between the GPU's forward and
 * backward passes of every mini-batch, a few ms each on an H200's host
 * against a 28–51 ms step. In float32 here (d rounded once, then scale·d) where
 * the host worked in float64: ∂L/∂ŷ may differ in its last bit, Σ d² agrees
 * with the float64 sum to within 1e-6 (tested; typically about 1e-7).
 */
/// <reference types="@webgpu/types" />
import type { ForwardOptions } from '../../engine/models/types';
import type { Reductions } from './reductions';
import { createStorage, flatGrid, Kernel, type ReadRegion } from './runtime';
import type { GpuContext } from './types';

const WG = 256;

/** inPlace: ∂L/∂ŷ overwrites ŷ (the gate-block models read dŷ where they wrote ŷ). */
function lossWgsl(inPlace: boolean): string {
  return /* wgsl */ `
struct U { n: u32, scale: f32, rowThreads: u32, p0: u32 }
@group(0) @binding(0) var<storage, ${inPlace ? 'read_write' : 'read'}> yhat: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> d2: array<f32>;
${inPlace ? '' : '@group(0) @binding(3) var<storage, read_write> dy: array<f32>;'}
@group(0) @binding(${inPlace ? 3 : 4}) var<uniform> u: U;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let i = g.y * u.rowThreads + g.x;
  if (i >= u.n) { return; }
  let d = yhat[i] - y[i];
  d2[i] = d * d;
  ${inPlace ? 'yhat[i]' : 'dy[i]'} = u.scale * d;
}
`;
}

export class DeviceLoss {
  private readonly kernel: Kernel;
  private readonly sse: GPUBuffer;
  private readonly sseHost = new Float32Array(1);
  private d2: GPUBuffer | null = null;
  private y: GPUBuffer | null = null;

  constructor(private readonly ctx: GpuContext, private readonly red: Reductions, private readonly inPlace: boolean) {
    this.kernel = new Kernel(ctx, `device loss${inPlace ? ' (in place)' : ''}`, lossWgsl(inPlace), inPlace ? 3 : 4, { readOnly: inPlace ? [1] : [0, 1] });
    this.sse = createStorage(ctx, 1, 'loss Σd²');
  }

  private grow(cur: GPUBuffer | null, n: number, label: string): GPUBuffer {
    if (cur && cur.size >= n * 4) return cur;
    const b = createStorage(this.ctx, n, label); // first: a failure keeps the old one
    cur?.destroy();
    return b;
  }

  /** The [T][B] targets buffer of a pass of n values (the caller uploads or gathers y into it). */
  targets(n: number): GPUBuffer {
    this.y = this.grow(this.y, n, 'loss targets');
    return this.y;
  }

  /**
   * Encode ∂L/∂ŷ = scale·(ŷ − y) into `dy` (null: over ŷ, in place) and Σ(ŷ − y)²,
   * y from targets(n); the returned region reads the sum back.
   */
  encode(enc: GPUCommandEncoder, yhat: GPUBuffer, dy: GPUBuffer | null, n: number, scale: number): ReadRegion {
    if ((dy === null) !== this.inPlace) throw new Error('device loss: dy must be null exactly for the in-place kernel');
    if (!this.y || this.y.size < n * 4) throw new Error('device loss: no targets for this pass (targets(n) first)');
    this.d2 = this.grow(this.d2, n, 'loss d²');
    const grid = flatGrid(this.ctx, n, WG);
    const bufs = dy ? [yhat, this.y, this.d2, dy] : [yhat, this.y, this.d2];
    this.kernel.encode(enc, grid, bufs, [n, scale, grid[0] * WG, 0], new Set([1]));
    this.red.colSums(enc, { rows: n, n: 1, a: this.d2, aOff: 0, lda: 1, c: this.sse, cOff: 0 });
    return { buf: this.sse, n: 1, into: this.sseHost };
  }

  /** After the read-back: Σ(ŷ − y)². */
  get sum(): number {
    return this.sseHost[0]!;
  }

  dispose(): void {
    this.sse.destroy();
    this.d2?.destroy();
    this.y?.destroy();
  }
}

/** ForwardOptions.loss checked for a pass of n values: null when not asked. */
export function checkLoss(fo: ForwardOptions<Float32Array>, n: number): NonNullable<ForwardOptions<Float32Array>['loss']> | null {
  const loss = fo.loss;
  if (!loss) return null;
  if (!fo.train) throw new Error('forward: loss is for training passes (train: true)');
  if (loss.sse.length < 1) throw new RangeError('forward: loss.sse needs one entry');
  if (!Number.isFinite(loss.scale)) throw new RangeError(`forward: loss.scale must be finite (got ${loss.scale})`);
  if (loss.y) {
    if (loss.y.length < n) throw new RangeError(`forward: loss.y has ${loss.y.length} entries, needs ${n}`);
  } else if (!fo.rows) {
    throw new Error('forward: loss needs y, or rows whose targets are resident');
  }
  return loss;
}
