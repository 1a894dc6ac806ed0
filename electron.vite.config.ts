/**
 * Build of the future desktop app (electron-vite 6; DESIGN.md §6).
 *
 * NOT installed yet: electron, electron-vite and @vitejs/plugin-vue are not in
 * package.json, and this file is outside tsconfig's `include` so `npm run
 * typecheck` does not see it. When the desktop work starts:
 *   ELECTRON_SKIP_BINARY_DOWNLOAD=1 npm i -D electron@41.7.1 electron-vite@6.0.0 @vitejs/plugin-vue@6 vue@3.5
 * and `npx electron-vite build` writes out/main, out/preload, out/renderer.
 *
 * Entries:
 *   main      src-main/electron/main.ts (window, menus, ipcMain ↔ core)
 *             src-workers/tasks/run-unit.ts → out/main/run-unit-worker.js, the
 *             piscina worker: the packaged app passes it to createRunPool({ filename })
 *             (in development the pool loads the TypeScript through
 *             src-workers/tasks/run-unit-worker.mjs instead)
 *   preload   src-preload/index.ts (sandboxed bridge; emitted as .mjs with "type": "module")
 *   renderer  src-renderer/index.html (Vue 3)
 * Dependencies of main/preload stay external (electron-vite's default
 * `build.externalizeDeps`), so native modules such as better-sqlite3 load from
 * node_modules.
 */
import { resolve } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const root = import.meta.dirname;

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      lib: {
        entry: {
          main: resolve(root, 'src-main/electron/main.ts'),
          'run-unit-worker': resolve(root, 'src-workers/tasks/run-unit.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      lib: { entry: { index: resolve(root, 'src-preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(root, 'out/renderer'),
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
});
