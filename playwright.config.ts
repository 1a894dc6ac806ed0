/**
 * End-to-end tests of the workstation UI (issue 5, item 10): Debian's
 * Chromium against the web host (`lw serve`) on a fresh data folder per run.
 * The renderer must be built first (`npm run test:e2e` does: electron-vite
 * build writes out/renderer, which the web host serves).
 *
 *   npm run test:e2e                      build, then every test
 *   npx playwright test e2e/shell.spec.ts one file (after npm run build:desktop)
 *   LW_E2E_KEEP_DATA=1 npx playwright test   keep the data folder (path printed)
 *   LW_E2E_STATIC_DIR=/tmp/x/renderer npx playwright test   serve a renderer built elsewhere
 *                                         (npx electron-vite build --outDir /tmp/x)
 *
 * The host may tune the GPU kernels on a software adapter (LW_TUNE_ALLOW_SOFTWARE=1):
 * e2e/gpu-tuning.spec.ts tunes SwiftShader (chromium's Vulkan loader, set by bin/lw.mjs).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from '@playwright/test';
import { E2E_PORT, E2E_TOKEN } from './e2e/env';

// This file is loaded by the runner and again by each worker process; the
// workers inherit the runner's environment, so the folder is made once.
process.env.LW_E2E_DATA_DIR ??= mkdtempSync(join(tmpdir(), 'lw-e2e-data-'));

export default defineConfig({
  testDir: './e2e',
  testMatch: '**/*.spec.ts',
  outputDir: './test-results/e2e',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  timeout: 90_000,
  globalTimeout: 280_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL: `http://127.0.0.1:${E2E_PORT}`,
    viewport: { width: 1280, height: 800 },
    colorScheme: 'light',
    acceptDownloads: true,
    trace: 'off',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.LW_E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run',
      ],
    },
  },
  webServer: {
    command: 'node e2e/serve.mjs',
    url: `http://127.0.0.1:${E2E_PORT}/`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'ignore',
    stderr: 'pipe',
    gracefulShutdown: { signal: 'SIGTERM', timeout: 10_000 },
    env: {
      LW_TOKEN: E2E_TOKEN,
      LW_E2E_PORT: String(E2E_PORT),
      LW_E2E_DATA_DIR: process.env.LW_E2E_DATA_DIR,
      LW_E2E_WORKERS: '2',
      LW_TUNE_ALLOW_SOFTWARE: '1',
      ...(process.env.LW_E2E_STATIC_DIR ? { LW_E2E_STATIC_DIR: process.env.LW_E2E_STATIC_DIR } : {}),
    },
  },
});
