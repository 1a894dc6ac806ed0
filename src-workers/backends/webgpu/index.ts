/**
 * The WebGPU backend (DESIGN.md §3, issue 6): the thread's device and the
 * GPU model of each architecture, all behind the engine's TrainableModel
 * contract (types.ts).
 */
import type { ModelShape } from '../../engine/models/types';
import { createGatedGpuModel } from './gated-gpu';
import { createGruGpuModel } from './gru-gpu';
import { createLstmGpuModel } from './lstm-gpu';
import type { GpuContext, GpuModel, GpuModelOptions } from './types';

export { acquireGpu, adapterName, openGpu } from './runtime';
export type { GpuAdapterDescription, GpuContext, GpuKernelShape, GpuModel, GpuModelOptions, GpuTuning } from './types';

/** A GPU model of `shape` (parameters zero: initialise them with engine/models/params.ts initParams). */
export function createGpuModel(ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions): GpuModel {
  switch (shape.arch) {
    case 'const':
    case 'shared':
    case 'diag':
      return createGatedGpuModel(ctx, shape, opts);
    case 'gru':
      return createGruGpuModel(ctx, shape, opts);
    case 'lstm':
      return createLstmGpuModel(ctx, shape, opts);
  }
}
