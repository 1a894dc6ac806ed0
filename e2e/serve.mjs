#!/usr/bin/env node
/**
 * The web host for the end-to-end tests (playwright.config.ts `webServer`):
 * `lw serve` on the fixed test port and token, over the fresh data folder
 * the config created for this run ($LW_E2E_DATA_DIR). On SIGTERM/SIGINT it
 * stops the host (which hands running runs back as interrupted and closes
 * the database), then removes the data folder unless $LW_E2E_KEEP_DATA is set.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = process.env.LW_E2E_DATA_DIR;
const port = process.env.LW_E2E_PORT;
if (!dataDir || !port || !process.env.LW_TOKEN) {
  console.error('e2e/serve.mjs: LW_E2E_DATA_DIR, LW_E2E_PORT and LW_TOKEN must be set (by playwright.config.ts)');
  process.exit(2);
}

const args = [join(root, 'bin/lw.mjs'), 'serve', '--port', port, '--data-dir', dataDir];
if (process.env.LW_E2E_WORKERS) args.push('--workers', process.env.LW_E2E_WORKERS);
// a renderer built elsewhere (default: out/renderer, what `npm run test:e2e` builds)
if (process.env.LW_E2E_STATIC_DIR) args.push('--static-dir', process.env.LW_E2E_STATIC_DIR);
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
  // the host stops within a few seconds (runs are interrupted at the next mini-batch)
  setTimeout(() => child.kill('SIGKILL'), 8000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

child.on('exit', (code, signal) => {
  if (!process.env.LW_E2E_KEEP_DATA) {
    try {
      rmSync(dataDir, { recursive: true, force: true });
    } catch {
      // best effort: it is a temporary folder
    }
  } else {
    console.error(`e2e/serve.mjs: kept the data folder ${dataDir}`);
  }
  process.exit(code ?? (signal ? 1 : 0));
});
