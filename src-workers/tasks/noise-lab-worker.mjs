// Piscina worker entry of the interactive pool: loads the TypeScript task
// module (noise-lab-task.ts), as run-unit-worker.mjs does for the run pool.
//
// Node 20 cannot import .ts on its own. If the thread already has a
// TypeScript loader (the process was started through tsx, which worker
// threads inherit via execArgv, or a bundler compiled this folder), the plain
// import works; otherwise tsx's scoped API loads the module (and its imports)
// without touching the rest of the process. The built app uses
// out/main/noise-lab-worker.js instead (electron.vite.config.ts).
let mod;
try {
  mod = await import('./noise-lab-task.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' && err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  const { tsImport } = await import('tsx/esm/api');
  mod = await tsImport('./noise-lab-task.ts', import.meta.url);
}
const task = mod.default?.default ?? mod.default;
export default task;
