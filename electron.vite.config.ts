/**
 * Build of the desktop app (electron-vite 6; DESIGN.md §6):
 * `npm run build:desktop` writes out/main, out/preload and out/renderer
 * (`electron-vite build --outDir DIR` writes DIR/main, DIR/preload, DIR/renderer).
 * The Electron binary is not needed to build.
 *
 * Entries:
 *   main      src-main/electron/main.ts → out/main/main.js (ES module: package.json
 *             has "type": "module") and src-workers/tasks/run-unit.ts →
 *             out/main/run-unit-worker.js, the piscina worker the desktop service
 *             is given (in development the pool loads the TypeScript through
 *             src-workers/tasks/run-unit-worker.mjs instead)
 *   preload   src-preload/index.ts → out/preload/index.cjs: ONE CommonJS file,
 *             because a sandboxed preload cannot be an ES module nor load chunks
 *             (it may only require 'electron'); the build test checks this
 *   renderer  src-renderer/index.html (Vue 3) → out/renderer, also what the web
 *             host serves (relative asset URLs: base './')
 * Dependencies of main stay external (electron-vite's default
 * `build.externalizeDeps`), so native modules such as better-sqlite3 load from
 * node_modules (for Electron, with the binary of scripts/rebuild-native-electron.mjs).
 */
import { dirname, relative, resolve, sep } from 'node:path';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

const root = import.meta.dirname;

/**
 * Source files find their neighbours with `new URL('../../../migrations/',
 * import.meta.url)` (the store's migrations, package.json for the version, …).
 * Bundled into out/main those paths would be taken from the bundle's folder
 * and miss; this rewrites each such relative URL so that it names, from the
 * output folder, the same file it named from the source file.
 */
function keepSourceRelativeUrls(): Plugin {
  let outDir = '';
  const pattern = /new URL\(\s*(['"])(\.\.?\/[^'"\n]*)\1\s*,\s*import\.meta\.url\s*\)/g;
  return {
    name: 'lw:keep-source-relative-urls',
    configResolved(config) {
      outDir = config.build.outDir;
    },
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (file.includes(`${sep}node_modules${sep}`) || !/\.[cm]?[jt]s$/.test(file) || !code.includes('import.meta.url')) return null;
      let changed = false;
      const out = code.replace(pattern, (_m, _q: string, rel: string) => {
        changed = true;
        let r = relative(outDir, resolve(dirname(file), rel)).split(sep).join('/');
        if (!r.startsWith('.')) r = `./${r}`;
        if (rel.endsWith('/') && !r.endsWith('/')) r += '/';
        return `new URL(${JSON.stringify(r)}, import.meta.url)`;
      });
      return changed ? { code: out, map: null } : null;
    },
  };
}

export default defineConfig({
  main: {
    plugins: [keepSourceRelativeUrls()],
    build: {
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
      lib: { entry: { index: resolve(root, 'src-preload/index.ts') }, formats: ['cjs'] },
      rollupOptions: { output: { entryFileNames: '[name].cjs' } },
    },
  },
  renderer: {
    root: resolve(root, 'src-renderer'),
    base: './',
    plugins: [vue()],
    build: {
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
});
