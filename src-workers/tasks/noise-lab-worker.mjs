// Piscina worker entry of the interactive pool: loads the TypeScript task
// module (noise-lab-task.ts, through import-ts.mjs), as run-unit-worker.mjs
// does for the run pool. The built app uses out/main/noise-lab-worker.js
// instead (electron.vite.config.ts).
import { importTypeScript } from './import-ts.mjs';

const mod = await importTypeScript('./noise-lab-task.ts', import.meta.url);
const task = mod.default?.default ?? mod.default;
export default task;
