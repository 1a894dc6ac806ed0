// Test-only pool worker entry (never used by the app): the real unit and
// tuning tasks of run-unit.ts with test doubles in place of the GPU
// (test/fake-tuning.ts): units on a fake GPU backend whose models report
// their kernel shape and refuse a workgroup size above FAKE_MAX_WG, and
// tunings by fakeTuneGpu (no device, markers in the request choose what it
// does). Adapter: FAKE_ADAPTER (the same as fake-gpu-worker.mjs's).
import { tsImport } from 'tsx/esm/api';

const { createRunUnitTask, createTuneGpuTask } = await tsImport('../run-unit.ts', import.meta.url);
const { fakeTunedGpu, fakeTuneGpu } = await tsImport('./fake-tuning.ts', import.meta.url);

const gpu = fakeTunedGpu();
const task = createRunUnitTask({ loadGpu: async () => gpu.module });
export default task;
export const tuneGpuTask = createTuneGpuTask({ loadTuner: async () => ({ tuneGpu: fakeTuneGpu }) });
