import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';
import { chromiumVulkanEnv } from './scripts/gpu/vulkan-env.mjs';

// Tests never touch the user's data directory: commands that fall back to the
// default data dir (no --data-dir) use a throw-away one.
const testDataDir = mkdtempSync(join(tmpdir(), 'lw-test-data-'));

// WebGPU in the test processes (the GPU parity tests, src-workers/backends):
// where the system has no Vulkan loader but Debian's chromium is installed,
// its loader and SwiftShader ICD. The dynamic loader reads LD_LIBRARY_PATH
// only when a process starts, so the variables go on this process's
// environment now, before the forks (pool 'forks', which inherit it) start;
// `test.env` would come too late. See scripts/gpu/vulkan-env.mjs.
Object.assign(process.env, chromiumVulkanEnv() ?? {});

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.ts', 'scripts/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { LW_DATA_DIR: testDataDir },
  },
});
