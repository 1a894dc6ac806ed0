/**
 * Where the desktop app finds its files, from the location of the built main
 * bundle (out/main/main.js in a checkout): the preload and the page beside it
 * (out/preload, out/renderer), the rest in the project folder above it.
 * Resolving from the bundle rather than app.getAppPath() works the same
 * whether Electron is started as `electron .` or `electron out/main/main.js`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface DesktopPaths {
  root: string;
  /** the sandboxed preload (CommonJS: sandboxed preloads cannot be ES modules) */
  preload: string;
  /** the built renderer, served as lw-app://app/ */
  renderer: string;
  /** the schema migrations (the store's default folder is computed from its source path, wrong inside a bundle) */
  migrations: string;
  /** the piscina worker entry built beside main.js */
  worker: string;
  /** better-sqlite3 built for Electron's ABI by scripts/rebuild-native-electron.mjs */
  nativeBinding: string;
  nativeBuildInfo: string;
}

/**
 * The project folder holding a bundle: the nearest folder above it with both
 * package.json and migrations/ (out/main/main.js → the checkout; also for
 * builds to other folders inside it, `electron-vite build --outDir …`).
 */
export function projectRootOf(bundleDir: string): string {
  for (let dir = resolve(bundleDir); ; ) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(bundleDir, '..', '..');
    dir = up;
  }
}

export function desktopPaths(mainFile: string): DesktopPaths {
  const outMain = dirname(mainFile);
  const root = projectRootOf(outMain);
  return {
    root,
    preload: resolve(outMain, '..', 'preload', 'index.cjs'),
    renderer: resolve(outMain, '..', 'renderer'),
    migrations: join(root, 'migrations'),
    worker: join(outMain, 'run-unit-worker.js'),
    nativeBinding: join(root, 'native', 'electron', 'better_sqlite3.node'),
    nativeBuildInfo: join(root, 'native', 'electron', 'build-info.json'),
  };
}

/** What scripts/rebuild-native-electron.mjs records next to the binary it built. */
export interface NativeBuildInfo {
  electron: string;
  /** process.versions.modules of that Electron (the ABI) */
  modules?: string;
  betterSqlite3?: string;
}

/**
 * The Electron-ABI better-sqlite3 binary to pass as `nativeBinding`, or an
 * explanation of why there is none usable (missing, or built for another
 * Electron). `versions` is process.versions of the running Electron.
 */
export function findNativeBinding(paths: DesktopPaths, versions: { electron?: string; modules?: string }):
  { path: string } | { problem: string } {
  const fix = 'run `node scripts/rebuild-native-electron.mjs` (it rebuilds better-sqlite3 for the installed Electron into native/electron/)';
  if (!existsSync(paths.nativeBinding)) return { problem: `better-sqlite3 has not been built for Electron: ${fix}` };
  let info: NativeBuildInfo | null = null;
  try {
    info = JSON.parse(readFileSync(paths.nativeBuildInfo, 'utf8')) as NativeBuildInfo;
  } catch {
    return { problem: `${paths.nativeBuildInfo} is missing or unreadable: ${fix}` };
  }
  if (versions.modules && info.modules && info.modules !== versions.modules) {
    return { problem: `native/electron/better_sqlite3.node was built for Electron ${info.electron} (ABI ${info.modules}), this is Electron ${versions.electron ?? '?'} (ABI ${versions.modules}): ${fix}` };
  }
  if (!info.modules && versions.electron && info.electron !== versions.electron) {
    return { problem: `native/electron/better_sqlite3.node was built for Electron ${info.electron}, this is Electron ${versions.electron}: ${fix}` };
  }
  return { path: paths.nativeBinding };
}

/** `--data-dir DIR` / `--data-dir=DIR` from the command line, if given. */
export function dataDirArg(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--data-dir' && i + 1 < argv.length) return argv[i + 1];
    if (a.startsWith('--data-dir=')) return a.slice('--data-dir='.length) || undefined;
  }
  return undefined;
}
