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
 *             and src-workers/tasks/noise-lab-task.ts →
 *             out/main/noise-lab-worker.js, the interactive pool's worker (noise
 *             lab), found by the service beside run-unit-worker.js (in
 *             development: src-workers/tasks/noise-lab-worker.mjs)
 *             and src-workers/tasks/diagnostics-worker.ts →
 *             out/main/diagnostics-worker.js, a GPU run's diagnostics lag
 *             thread, found beside the bundle's code (in development:
 *             src-workers/tasks/diagnostics-worker.mjs)
 *   preload   src-preload/index.ts → out/preload/index.cjs: ONE CommonJS file,
 *             because a sandboxed preload cannot be an ES module nor load chunks
 *             (it may only require 'electron'); the build test checks this
 *   renderer  src-renderer/index.html (Vue 3) → out/renderer, also what the web
 *             host serves (relative asset URLs: base './')
 * Dependencies of main stay external (electron-vite's default
 * `build.externalizeDeps`), so native modules such as better-sqlite3 load from
 * node_modules (for Electron, with the binary of scripts/rebuild-native-electron.mjs).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

/** The renderer's Element Plus plugin: every component its templates use, registered globally. */
const ELEMENT_PLUS_USED = 'virtual:lw-element-plus';

/** Source files of a folder, recursively (skipping tests). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(vue|ts)$/.test(e.name) && !/\.(test|spec)\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/**
 * Element Plus components used by the renderer's templates (`<el-foo-bar`,
 * `<ElFooBar`, `resolveComponent('ElFooBar')`), as export names (ElFooBar),
 * sorted; `loading` when the v-loading directive is used.
 */
export function elementPlusUsage(sources: readonly string[]): { components: string[]; loading: boolean } {
  const names = new Set<string>();
  let loading = false;
  const pascal = (kebab: string) => kebab.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
  for (const src of sources) {
    for (const m of src.matchAll(/<el-([a-z0-9]+(?:-[a-z0-9]+)*)[\s/>]/g)) names.add(`El${pascal(m[1]!)}`);
    for (const m of src.matchAll(/<El([A-Z][A-Za-z0-9]*)[\s/>]/g)) names.add(`El${m[1]}`);
    for (const m of src.matchAll(/resolveComponent\(\s*['"](?:el-([a-z0-9-]+)|El([A-Za-z0-9]+))['"]/g)) names.add(`El${m[1] ? pascal(m[1]) : m[2]}`);
    if (/\sv-loading[\s=.:>]/.test(src)) loading = true;
  }
  return { components: [...names].sort(), loading };
}

/**
 * `virtual:lw-element-plus`: a Vue plugin that registers the Element Plus
 * components the renderer's sources use (elementPlusUsage over
 * src-renderer/src), instead of all of them, so the built page loads and
 * starts faster. The development server gets the full library (templates
 * change while it runs).
 */
function elementPlusUsed(srcDir: string): Plugin {
  let serve = false;
  const resolved = `\0${ELEMENT_PLUS_USED}`;
  return {
    name: 'lw:element-plus-used',
    configResolved(config) {
      serve = config.command === 'serve';
    },
    resolveId(id) {
      return id === ELEMENT_PLUS_USED ? resolved : null;
    },
    load(id) {
      if (id !== resolved) return null;
      if (serve) return `export { default } from 'element-plus';`;
      const files = sourceFiles(srcDir);
      for (const f of files) this.addWatchFile(f);
      const { components, loading } = elementPlusUsage(files.map((f) => readFileSync(f, 'utf8')));
      const imports = [...components, ...(loading ? ['ElLoading'] : [])];
      return [
        `import { ${imports.join(', ')} } from 'element-plus';`,
        `const components = { ${components.join(', ')} };`,
        'export default {',
        '  install(app) {',
        '    for (const [name, c] of Object.entries(components)) app.component(name, c);',
        loading ? '    app.use(ElLoading);' : '',
        '  },',
        '};',
      ].join('\n');
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
          'noise-lab-worker': resolve(root, 'src-workers/tasks/noise-lab-task.ts'),
          'diagnostics-worker': resolve(root, 'src-workers/tasks/diagnostics-worker.ts'),
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
    plugins: [vue(), elementPlusUsed(resolve(root, 'src-renderer/src'))],
    build: {
      minify: true,
      rollupOptions: { input: { index: resolve(root, 'src-renderer/index.html') } },
    },
  },
});
