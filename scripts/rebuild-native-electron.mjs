#!/usr/bin/env node
/**
 * Build better-sqlite3 for the installed Electron's ABI into native/electron/,
 * beside (not instead of) the Node build in node_modules that the CLI, the web
 * host and the tests use. The desktop main process passes the result as
 * better-sqlite3's `nativeBinding` (src-main/electron/paths.ts).
 *
 *   node scripts/rebuild-native-electron.mjs [--force]
 *
 * Only when the Electron binary is installed: without it (ELECTRON_SKIP_BINARY_DOWNLOAD=1,
 * as on machines that cannot download it) this says so and exits 0, so
 * `npm ci` (postinstall) never breaks. Steps, in a scratch copy of
 * node_modules/better-sqlite3: prebuild-install's Electron prebuild, else
 * node-gyp against Electron's headers (https://electronjs.org/headers); then
 * the binary is loaded once by Electron itself (ELECTRON_RUN_AS_NODE) to prove
 * it matches, and native/electron/build-info.json records what it was built for.
 * A failure is reported; it exits 1 when run by hand and 0 as a postinstall.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = join(ROOT, 'native', 'electron');
const OUT_BINARY = join(OUT_DIR, 'better_sqlite3.node');
const OUT_INFO = join(OUT_DIR, 'build-info.json');
const require = createRequire(import.meta.url);

const log = (s) => process.stdout.write(`rebuild-native-electron: ${s}\n`);

/** The installed Electron executable, or null with the reason. */
export function electronBinary(root = ROOT) {
  const dir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(dir, 'package.json'))) return { path: null, reason: 'the electron package is not installed' };
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  let rel = null;
  try {
    rel = readFileSync(join(dir, 'path.txt'), 'utf8').trim();
  } catch {
    // no path.txt: the binary was never downloaded
  }
  const candidate = override ? join(override, rel || 'electron') : rel ? join(dir, 'dist', rel) : null;
  if (!candidate || !existsSync(candidate)) {
    return { path: null, reason: 'the Electron binary is not installed (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1, or its download failed)' };
  }
  return { path: candidate, reason: null };
}

function run(cmd, args, opts = {}) {
  log(`$ ${[cmd, ...args].join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...opts });
  return r.status === 0;
}

function nodeGypCommand() {
  // npm sets npm_config_node_gyp for lifecycle scripts; else npm's bundled copy; else PATH
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  for (const c of candidates) if (existsSync(c)) return [process.execPath, c];
  return ['node-gyp'];
}

/** Load the binary in Electron-as-Node: proves the ABI matches. Returns process.versions.modules or null. */
function verify(electron, binary) {
  const script = `const D=require(${JSON.stringify(join(ROOT, 'node_modules', 'better-sqlite3'))});`
    + `const db=new D(':memory:',{nativeBinding:${JSON.stringify(binary)}});`
    + `db.prepare('select 1').get();db.close();process.stdout.write(process.versions.modules)`;
  const r = spawnSync(electron, ['-e', script], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8' });
  if (r.status !== 0) {
    log(`the built binary does not load in Electron:\n${r.stderr}`);
    return null;
  }
  return r.stdout.trim() || null;
}

function main() {
  const force = process.argv.includes('--force');
  const asPostinstall = process.env.npm_lifecycle_event === 'postinstall';
  const { path: electron, reason } = electronBinary();
  if (!electron) {
    log(`skipped: ${reason}. The desktop app needs it; the CLI and the web host (\`npm start\` falls back to it) do not.`);
    return 0;
  }
  const electronVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
  const sqliteDir = join(ROOT, 'node_modules', 'better-sqlite3');
  const sqliteVersion = JSON.parse(readFileSync(join(sqliteDir, 'package.json'), 'utf8')).version;

  if (!force && existsSync(OUT_BINARY) && existsSync(OUT_INFO)) {
    try {
      const info = JSON.parse(readFileSync(OUT_INFO, 'utf8'));
      if (info.electron === electronVersion && info.betterSqlite3 === sqliteVersion) {
        log(`up to date (better-sqlite3 ${sqliteVersion} for Electron ${electronVersion}); --force rebuilds`);
        return 0;
      }
    } catch {
      // unreadable: rebuild
    }
  }

  const fail = (msg) => {
    log(`FAILED: ${msg}. The desktop app cannot open its database until this succeeds; the CLI and the web host are not affected.`);
    return asPostinstall ? 0 : 1;
  };

  const scratch = mkdtempSync(join(tmpdir(), 'lw-electron-sqlite-'));
  try {
    const work = join(scratch, 'better-sqlite3');
    const buildDir = join(sqliteDir, 'build');
    cpSync(sqliteDir, work, { recursive: true, filter: (src) => src !== buildDir && !src.startsWith(buildDir + sep) });
    const built = join(work, 'build', 'Release', 'better_sqlite3.node');
    const target = ['--target', electronVersion, '--arch', process.arch];

    let ok = false;
    try {
      const prebuild = require.resolve('prebuild-install/bin.js', { paths: [sqliteDir, ROOT] });
      ok = run(process.execPath, [prebuild, '--runtime', 'electron', ...target, '--platform', process.platform], { cwd: work }) && existsSync(built);
    } catch {
      log('prebuild-install not found; compiling');
    }
    if (!ok) {
      const [cmd, ...pre] = nodeGypCommand();
      ok = run(cmd, [...pre, 'rebuild', '--release', '--runtime=electron', `--target=${electronVersion}`, `--arch=${process.arch}`,
        '--dist-url=https://electronjs.org/headers'], { cwd: work }) && existsSync(built);
    }
    if (!ok) return fail(`could not build better-sqlite3 ${sqliteVersion} for Electron ${electronVersion} (no prebuild, and node-gyp failed: it needs Electron's headers from electronjs.org and a C++ toolchain)`);

    mkdirSync(OUT_DIR, { recursive: true });
    const staged = `${OUT_BINARY}.tmp-${process.pid}`;
    cpSync(built, staged);
    const modules = verify(electron, staged);
    if (!modules) {
      rmSync(staged, { force: true });
      return fail('the built binary does not load in Electron');
    }
    renameSync(staged, OUT_BINARY);
    writeFileSync(OUT_INFO, `${JSON.stringify({ electron: electronVersion, modules, betterSqlite3: sqliteVersion, platform: process.platform, arch: process.arch, builtAt: new Date().toISOString() }, null, 2)}\n`);
    log(`built ${OUT_BINARY} (Electron ${electronVersion}, ABI ${modules})`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
