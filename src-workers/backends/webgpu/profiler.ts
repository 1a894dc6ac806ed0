/**
 * GPU time per kernel, from timestamp queries (the device feature
 * 'timestamp-query'; benchmarks only: `bench --profile-gpu`,
 * `bench:gpu-tune --profile`).
 *
 * While a profile is open (runtime.ts startGpuProfile), every Kernel.encode
 * asks for a pair of query indices (the pass's beginning and end), and
 * runtime.submit resolves the encoder's pairs into a buffer of their own
 * before submitting it; takeGpuProfile maps those buffers once the queue is
 * done and sums, per kernel label, the nanoseconds between each pair. The
 * indices restart at every submit, so the passes of one encoder must be
 * submitted before the next encoder's are encoded (the models' passes are).
 * Copies and clears are not timed; the time a kernel spends waiting for an
 * earlier one is not counted (each pass's own interval).
 */
/// <reference types="@webgpu/types" />
import { COPY_DST, COPY_SRC, MAP_MODE_READ, MAP_READ, QUERY_RESOLVE } from './usage-flags';

/** Passes per submitted encoder that get timestamps (more are counted as untimed). */
const PASSES_PER_SUBMIT = 256;

/** One kernel label's total: GPU milliseconds over `passes` passes. */
export interface KernelTime {
  ms: number;
  passes: number;
}

export interface GpuProfile {
  /** per kernel label */
  kernels: Record<string, KernelTime>;
  /** the sum over all labels, ms */
  totalMs: number;
  /** passes encoded past PASSES_PER_SUBMIT in one encoder (not timed) */
  untimed: number;
}

export class GpuProfiler {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuf: GPUBuffer;
  private labels: string[] = [];
  private readonly resolved: Array<{ buf: GPUBuffer; labels: string[] }> = [];
  private readonly totals = new Map<string, KernelTime>();
  private untimed = 0;

  constructor(private readonly device: GPUDevice) {
    this.querySet = device.createQuerySet({ label: 'gpu profile', type: 'timestamp', count: 2 * PASSES_PER_SUBMIT });
    this.resolveBuf = device.createBuffer({ label: 'gpu profile resolve', size: 16 * PASSES_PER_SUBMIT, usage: QUERY_RESOLVE | COPY_SRC });
  }

  /** The timestamp writes of the next pass (labelled `label`), or undefined when this encoder's pairs are used up. */
  timestampWrites(label: string): GPUComputePassTimestampWrites | undefined {
    if (this.labels.length >= PASSES_PER_SUBMIT) {
      this.untimed++;
      return undefined;
    }
    const i = this.labels.length;
    this.labels.push(label);
    return { querySet: this.querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 };
  }

  /** Before `enc` is finished: resolve its pairs into a read-back buffer of their own. */
  beforeSubmit(enc: GPUCommandEncoder): void {
    const n = this.labels.length;
    if (n === 0) return;
    enc.resolveQuerySet(this.querySet, 0, 2 * n, this.resolveBuf, 0);
    const buf = this.device.createBuffer({ label: 'gpu profile read', size: 16 * n, usage: MAP_READ | COPY_DST });
    enc.copyBufferToBuffer(this.resolveBuf, 0, buf, 0, 16 * n);
    this.resolved.push({ buf, labels: this.labels });
    this.labels = [];
  }

  /** Wait for the resolved pairs and sum them per label (the queue must have been submitted). */
  async collect(): Promise<GpuProfile> {
    for (const { buf, labels } of this.resolved.splice(0)) {
      await buf.mapAsync(MAP_MODE_READ);
      const t = new BigUint64Array(buf.getMappedRange());
      labels.forEach((label, i) => {
        const begin = t[2 * i]!, end = t[2 * i + 1]!;
        const ns = end > begin ? Number(end - begin) : 0; // a driver may report 0 for both: counted as 0
        const cur = this.totals.get(label) ?? { ms: 0, passes: 0 };
        cur.ms += ns / 1e6;
        cur.passes++;
        this.totals.set(label, cur);
      });
      buf.unmap();
      buf.destroy();
    }
    const kernels: Record<string, KernelTime> = {};
    let totalMs = 0;
    for (const [label, v] of [...this.totals].sort((a, b) => b[1].ms - a[1].ms)) {
      kernels[label] = { ...v };
      totalMs += v.ms;
    }
    return { kernels, totalMs, untimed: this.untimed };
  }

  dispose(): void {
    for (const { buf } of this.resolved.splice(0)) buf.destroy();
    this.querySet.destroy();
    this.resolveBuf.destroy();
  }
}
