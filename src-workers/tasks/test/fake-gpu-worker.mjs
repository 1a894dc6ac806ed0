// Test-only pool worker entry (never used by the app): the real unit task
// with a FAKE GPU backend in place of src-workers/backends/webgpu, so the
// webgpu path (host → worker → createModel hook → stored backend) runs
// without a GPU. Its "device" is a CPU model (the engine's default kernels)
// behind the asynchronous GPU-model contract (async-cpu-model.ts); its
// adapter is FAKE_ADAPTER. Seed 404: acquireGpu() rejects, as on a machine
// whose driver gives no device.
import { tsImport } from 'tsx/esm/api';

export const FAKE_ADAPTER = 'Fake GPU (test double)';

const { createRunUnitTask } = await tsImport('../run-unit.ts', import.meta.url);
const { asyncCpuModel } = await tsImport('./async-cpu-model.ts', import.meta.url);

const context = { device: {}, adapter: { description: FAKE_ADAPTER, vendor: 'test', architecture: 'cpu', fallback: false }, limits: {} };

const task = (input) => createRunUnitTask({
  loadGpu: async () => ({
    acquireGpu: async () => {
      if (input.seed === 404) throw new Error('WebGPU is unavailable: no adapter (injected, seed 404)');
      return context;
    },
    createGpuModel: (_ctx, shape, opts) => asyncCpuModel(shape, opts, 'auto'),
  }),
})(input);

export default task;
