/**
 * Which CPU kernel set a worker thread will pick on this machine
 * ('wasm-simd-f32' where WebAssembly SIMD runs, else 'ts-f32'), computed once
 * per process: the Settings page (Api.getSystemInfo) and `lw info` show it.
 */
import { createKernels } from '../../src-workers/engine/backend';

let cpuKernels: string | null = null;

export function cpuKernelName(): string {
  if (cpuKernels === null) {
    try {
      cpuKernels = createKernels('auto', 'f32', 1024).name;
    } catch {
      cpuKernels = 'ts-f32';
    }
  }
  return cpuKernels;
}
