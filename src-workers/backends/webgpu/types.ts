/**
 * Contract of the WebGPU backend (DESIGN.md §3, issue 6).
 *
 * One GpuContext (adapter + device) per thread: acquireGpu() in runtime.ts.
 * One GpuModel per run: createGpuModel() in index.ts, a TrainableModel whose
 * passes are asynchronous (each ends with a read-back of what the caller
 * asked for). Caller arrays (x, ŷ, ∂L/∂ŷ, dir, record, hidden, v) are plain
 * host typed arrays in the engine's time-major layout (models/types.ts);
 * `params` / `grads` are host Float32Arrays in the CPU models' layout, so the
 * same initialisation, optimiser and direction code applies unchanged.
 */
/// <reference types="@webgpu/types" />
import type { ForwardOptions, ModelShape, ResidentInputs, ResidentReserve, TrainableModel } from '../../engine/models/types';
import type { UnrollSetting } from '../../../src-shared/gpu-tuning';

export interface GpuAdapterDescription {
  description: string;
  vendor: string;
  architecture: string;
  /** a software adapter: adapter.info.isFallbackAdapter, or named like one (select.ts isSoftwareAdapter) */
  fallback: boolean;
}

/** The device limits the kernels are sized against (requested at their adapter maxima). */
export interface GpuLimits {
  maxWorkgroupStorageBytes: number;
  maxInvocationsPerWorkgroup: number;
  maxWorkgroupSizeX: number;
  maxStorageBindingBytes: number;
  maxBufferBytes: number;
  maxStorageBuffersPerStage: number;
  maxWorkgroupsPerDimension: number;
}

export interface GpuContext {
  readonly device: GPUDevice;
  readonly adapter: GpuAdapterDescription;
  readonly limits: GpuLimits;
}

export interface GpuModelOptions {
  /** the largest batch forward/backward/tangent accept */
  maxBatch: number;
  /** the longest sequence (calls may use T' ≤ maxT) */
  maxT: number;
  /**
   * Kernel shape overrides (tests exercise the general paths on tiny
   * models; benchmarks tune): threads per workgroup (a power of two),
   * sequences per workgroup, and the unroll factor of the loops over the
   * input and hidden axes (1 … 32, 1 = rolled, or 'auto': per loop from a
   * register budget; results are bit-identical for every factor, wgsl-lib
   * unrolledLoop). Defaults: WG and S from the device limits, rolled loops
   * (wgsl-lib DEFAULT_UNROLL).
   */
  tuning?: GpuTuning;
}

/** GpuModelOptions.tuning: the kernel shape overrides (absent: the default). */
export interface GpuTuning {
  workgroupSize?: number;
  seqsPerWorkgroup?: number;
  unroll?: UnrollSetting;
}

/** The kernel shape a GPU model runs with: threads and sequences per workgroup, unroll factor (1 = rolled; 'auto': per loop). */
export interface GpuKernelShape {
  readonly workgroupSize: number;
  readonly seqsPerWorkgroup: number;
  readonly unroll: UnrollSetting;
}

export interface GpuModel extends TrainableModel<Float32Array> {
  readonly kernels: { readonly name: 'webgpu'; readonly precision: 'f32' };
  /** what the tuning overrides or the defaults chose (benchmarks report it) */
  readonly tuning: GpuKernelShape;
  forward(x: Float32Array, B: number, T: number, yhat: Float32Array, opts: ForwardOptions<Float32Array>): Promise<void>;
  backward(dyhat?: Float32Array): Promise<void>;
  tangent(x: Float32Array, B: number, T: number, dir: Float32Array, v: Float32Array, hidden?: Float32Array): Promise<void>;
  /**
   * a device store of input sequences for forward()'s `rows` (resident-inputs.ts), made after the outputs
   * `reserve` asks room for; null when the device cannot hold both
   */
  createResidentInputs(capacity: number, reserve?: ResidentReserve): Promise<ResidentInputs | null>;
  dispose(): void;
}

export type GpuModelFactory = (ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions) => GpuModel;
