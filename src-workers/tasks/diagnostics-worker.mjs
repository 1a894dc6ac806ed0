// Worker-thread entry of the diagnostics' lag threads (diagnostics-threads.ts):
// loads the TypeScript body the way run-unit-worker.mjs loads its task (a
// thread started under tsx or a bundle imports it directly, else tsx's scoped
// API). The built app runs out/main/diagnostics-worker.js instead.
try {
  await import('./diagnostics-worker.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION' && err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  const { tsImport } = await import('tsx/esm/api');
  await tsImport('./diagnostics-worker.ts', import.meta.url);
}
