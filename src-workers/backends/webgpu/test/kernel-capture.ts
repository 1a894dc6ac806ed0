/**
 * The WGSL of every kernel the GPU models build, for the race tests
 * (races.test.ts): captured from GPUDevice.createShaderModule while the
 * models are constructed on the test device, so the tests check exactly what
 * the models compile, at the kernel shapes that exercise the general paths:
 *  - the defaults at H = 128, D = 16, maxBatch 512 (the workgroup size and
 *    sequences per workgroup the models choose from the device limits);
 *  - H = 20 over 8 threads, 2 sequences per workgroup (3 units per thread,
 *    the last thread partly idle);
 *  - H = 6 over 8 threads, 3 sequences per workgroup (idle threads, WG > H);
 * for all five architectures, LayerNorm off and on. Plus the weight-gradient
 * reduction kernels from their generators (reductions-wgsl.ts), which the
 * models build lazily, at a set of tile configurations.
 *
 * While capturing, createComputePipeline is given a trivial shader module in
 * place of the kernel's (same layout), so SwiftShader does not compile ~140
 * pipelines the capture never runs; createShaderModule still validates the
 * real WGSL. Both methods are restored in a finally.
 */
import type { Arch, ModelShape } from '../../../engine/models/types';
import { createGatedGpuModel } from '../gated-gpu';
import { createGruGpuModel } from '../gru-gpu';
import { createLstmGpuModel } from '../lstm-gpu';
import {
  COL_DOTS_PARTIAL, FINISH, SIMPLE_GEMM_WGSL, skinnyGemmWgsl, tiledGemmWgsl, type TiledConfig,
} from '../reductions-wgsl';
import type { GpuContext, GpuKernelShape, GpuModel, GpuModelOptions } from '../types';

export interface CaptureConfig {
  tag: string;
  D: number;
  H: number;
  maxBatch: number;
  tuning?: GpuModelOptions['tuning'];
}

export const CAPTURE_CONFIGS: readonly CaptureConfig[] = [
  { tag: 'H128', D: 16, H: 128, maxBatch: 512 },
  { tag: 'H20w8s2', D: 3, H: 20, maxBatch: 8, tuning: { workgroupSize: 8, seqsPerWorkgroup: 2 } },
  { tag: 'H6w8s3', D: 2, H: 6, maxBatch: 8, tuning: { workgroupSize: 8, seqsPerWorkgroup: 3 } },
];

export const CAPTURE_ARCHS: readonly Arch[] = ['const', 'shared', 'diag', 'lstm', 'gru'];

export interface CapturedKernel {
  /** `${arch}-${ln|noln}-${config tag}-${label}`, e.g. lstm-ln-H20w8s2-lstm-backward */
  name: string;
  /** the Kernel label, e.g. diag-forward-train, reduce-finish */
  label: string;
  arch: Arch;
  layernorm: boolean;
  config: string;
  /** the model's kernel shape */
  tuning: GpuKernelShape;
  code: string;
}

function createModel(ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions): GpuModel {
  if (shape.arch === 'lstm') return createLstmGpuModel(ctx, shape, opts);
  if (shape.arch === 'gru') return createGruGpuModel(ctx, shape, opts);
  return createGatedGpuModel(ctx, shape, opts);
}

type DeviceMethods = Pick<GPUDevice, 'createShaderModule' | 'createComputePipeline'>;

/**
 * Build every model of CAPTURE_ARCHS × LayerNorm × CAPTURE_CONFIGS on `ctx`
 * (then dispose it) and return the WGSL of each kernel it created. While it
 * runs, every compute pipeline made on `ctx` gets a trivial shader (nothing
 * is compiled for real), including the reductions cached per device: give it
 * a device of its own and close it afterwards.
 */
export function captureModelKernels(ctx: GpuContext): CapturedKernel[] {
  const dev = ctx.device as unknown as DeviceMethods;
  const own = {
    createShaderModule: Object.getOwnPropertyDescriptor(dev, 'createShaderModule'),
    createComputePipeline: Object.getOwnPropertyDescriptor(dev, 'createComputePipeline'),
  };
  const origModule = dev.createShaderModule.bind(dev);
  const origPipeline = dev.createComputePipeline.bind(dev);
  const trivial = origModule({ label: 'race-capture-trivial', code: '@compute @workgroup_size(1) fn main() {}' });
  let sink: Array<{ label: string; code: string }> = [];
  const out: CapturedKernel[] = [];
  try {
    dev.createShaderModule = (d: GPUShaderModuleDescriptor): GPUShaderModule => {
      sink.push({ label: d.label ?? '', code: d.code });
      return origModule(d);
    };
    dev.createComputePipeline = (d: GPUComputePipelineDescriptor): GPUComputePipeline =>
      origPipeline({ ...d, compute: { module: trivial, entryPoint: 'main' } });
    for (const arch of CAPTURE_ARCHS) {
      for (const layernorm of [false, true]) {
        for (const c of CAPTURE_CONFIGS) {
          sink = [];
          const shape: ModelShape = { arch, D: c.D, H: c.H, layernorm, constS: 0.3 };
          const m = createModel(ctx, shape, { maxBatch: c.maxBatch, maxT: 4, ...(c.tuning ? { tuning: c.tuning } : {}) });
          const tuning = m.tuning;
          m.dispose();
          for (const k of sink) {
            out.push({
              name: `${arch}-${layernorm ? 'ln' : 'noln'}-${c.tag}-${k.label}`,
              label: k.label, arch, layernorm, config: c.tag, tuning, code: k.code,
            });
          }
        }
      }
    }
  } finally {
    for (const key of ['createShaderModule', 'createComputePipeline'] as const) {
      const d = own[key];
      if (d) Object.defineProperty(dev, key, d);
      else delete (dev as Partial<DeviceMethods>)[key];
    }
  }
  return out;
}

/** The tile configurations of the reduction kernels checked: the default and odd ones. */
export const TILED_CONFIGS: ReadonlyArray<Omit<TiledConfig, 'vecA' | 'vecB'>> = [
  { tm: 64, tn: 64, rm: 4, rn: 4, kb: 16, sub: 2 },
  { tm: 16, tn: 32, rm: 4, rn: 4, kb: 16, sub: 2 },
  { tm: 32, tn: 16, rm: 8, rn: 4, kb: 8, sub: 3 },
  { tm: 16, tn: 16, rm: 4, rn: 8, kb: 5, sub: 1 },
];

export interface ReductionKernel {
  name: string;
  code: string;
  /** for the tiled kernels: their configuration */
  tiled?: TiledConfig;
}

/** The reduction kernels from their generators (no device needed). */
export function reductionKernels(): ReductionKernel[] {
  const out: ReductionKernel[] = [
    { name: 'simple', code: SIMPLE_GEMM_WGSL },
    { name: 'coldots-partial', code: COL_DOTS_PARTIAL },
    { name: 'finish', code: FINISH },
  ];
  for (const t of TILED_CONFIGS) {
    for (const [vecA, vecB] of [[false, false], [true, true], [true, false], [false, true]] as const) {
      const c: TiledConfig = { ...t, vecA, vecB };
      out.push({ name: `tiled-${t.tm}x${t.tn}-${t.rm}x${t.rn}-k${t.kb}x${t.sub}${vecA ? '-va' : ''}${vecB ? '-vb' : ''}`, code: tiledGemmWgsl(c), tiled: c });
    }
  }
  for (const wx of [1, 8, 64]) for (const k of [1, 2, 3, 4]) out.push({ name: `skinny-${wx}-${k}`, code: skinnyGemmWgsl({ wx, k }) });
  return out;
}
