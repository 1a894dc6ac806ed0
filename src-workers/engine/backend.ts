/**
 * Kernel selection (DESIGN.md §3).
 *
 *  - 'ts'   plain TypeScript kernels, float32 or float64;
 *  - 'wasm' WebAssembly SIMD kernels (float32 only), with one linear memory of
 *           `capacityFloats` floats from which every array they address is
 *           allocated;
 *  - 'auto' the WASM kernels for float32 and, if the module cannot be
 *           instantiated here, the TypeScript ones; float64 always uses the
 *           TypeScript kernels.
 *
 * The returned object's `name` tells which set was actually chosen.
 */
import type { FloatArray, Kernels, Precision } from './kernels/types';
import { createTsKernels } from './kernels/ts-kernels';
import { createWasmKernels } from './kernels/wasm/wasm-kernels';

export type KernelsKind = 'ts' | 'wasm' | 'auto';

/** Largest arena the WASM kernels can address (wasm32: 4 GiB, kept under it). */
export const MAX_WASM_CAPACITY_FLOATS = 960 * 1024 * 1024;

export function createKernels(kind: KernelsKind, precision: Precision, capacityFloats: number): Kernels<FloatArray> {
  if (kind === 'ts' || (kind === 'auto' && precision === 'f64')) return createTsKernels(precision);
  if (precision !== 'f32') throw new Error(`the WASM kernels are float32 only (asked for ${precision})`);
  const capacity = Math.min(Math.max(1, Math.ceil(capacityFloats)), MAX_WASM_CAPACITY_FLOATS);
  if (kind === 'wasm') return createWasmKernels({ capacityFloats: capacity });
  try {
    return createWasmKernels({ capacityFloats: capacity });
  } catch {
    return createTsKernels('f32');
  }
}

/** True when an error is the WASM allocator's "arena exhausted". */
export function isArenaExhausted(err: unknown): boolean {
  return err instanceof Error && err.message.includes('arena exhausted');
}
