// How the worker-thread entries in this folder (run-unit-worker.mjs,
// noise-lab-worker.mjs, diagnostics-worker.mjs) load their TypeScript.
//
// Node 20 cannot import .ts on its own. If the thread already has a
// TypeScript loader (the process was started through tsx, which worker
// threads inherit via execArgv, or a bundler compiled this folder), the plain
// import works; otherwise tsx's scoped API loads the module (and its imports)
// without touching the rest of the process. The built app runs the bundled
// entries of electron.vite.config.ts instead.

/** Import the TypeScript module `specifier`, relative to `parentUrl` (the caller's import.meta.url). */
export async function importTypeScript(specifier, parentUrl) {
  try {
    return await import(new URL(specifier, parentUrl).href);
  } catch (err) {
    if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' && err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
    const { tsImport } = await import('tsx/esm/api');
    return tsImport(specifier, parentUrl);
  }
}
