// Worker-thread entry of the diagnostics' lag threads (diagnostics-threads.ts):
// loads the TypeScript body through import-ts.mjs. The built app runs
// out/main/diagnostics-worker.js instead.
import { importTypeScript } from './import-ts.mjs';

await importTypeScript('./diagnostics-worker.ts', import.meta.url);
