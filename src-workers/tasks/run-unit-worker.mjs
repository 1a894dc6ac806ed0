// Piscina worker entry: loads the TypeScript task module (import-ts.mjs).
import { importTypeScript } from './import-ts.mjs';

const mod = await importTypeScript('./run-unit.ts', import.meta.url);
const task = mod.default?.default ?? mod.default;
export default task;
