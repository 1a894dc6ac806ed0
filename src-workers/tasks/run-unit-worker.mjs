// Piscina worker entry: loads the TypeScript task module (import-ts.mjs).
// The default export trains a unit; the named task 'tuneGpuTask' (piscina
// `name`) runs a GPU kernel tuning.
import { importTypeScript } from './import-ts.mjs';

const mod = await importTypeScript('./run-unit.ts', import.meta.url);
const task = mod.default?.default ?? mod.default;
export default task;
export const tuneGpuTask = mod.tuneGpuTask ?? mod.default?.tuneGpuTask;
