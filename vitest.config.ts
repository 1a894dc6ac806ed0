import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Tests never touch the user's data directory: commands that fall back to the
// default data dir (no --data-dir) use a throw-away one.
const testDataDir = mkdtempSync(join(tmpdir(), 'lw-test-data-'));

export default defineConfig({
  test: {
    include: ['src-*/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { LW_DATA_DIR: testDataDir },
  },
});
