#!/usr/bin/env node
/**
 * `npm start`: the desktop app when it can run here, else the local web host.
 *
 *   npm start [-- [--web] [--no-build] [--data-dir DIR] [serve options: --port N --host H --workers N]]
 *
 * Desktop: needs the Electron binary (node_modules/electron; absent when
 * installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1) and, on Linux and other
 * X11/Wayland systems, a display (DISPLAY or WAYLAND_DISPLAY; macOS and
 * Windows always have one). Then: build out/ if a source is newer than it
 * (`electron-vite build`), build better-sqlite3 for Electron if needed
 * (scripts/rebuild-native-electron.mjs), and run `electron out/main/main.js`
 * with the remaining arguments.
 * Otherwise (or with --web): says why, builds the page if needed (a failed
 * build only warns), and runs `node bin/lw.mjs serve` with the remaining
 * arguments, repeating the address it prints. Signals are passed on; the exit
 * code is the child's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from './rebuild-native-electron.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const say = (s) => process.stderr.write(`npm start: ${s}\n`);

/** Built files the desktop app needs. */
export const OUTPUTS = ['out/main/main.js', 'out/main/run-unit-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html'];
/** What the build reads (a newer file here means out/ is stale). */
const INPUTS = ['src-main', 'src-preload', 'src-renderer', 'src-shared', 'src-workers', 'electron.vite.config.ts', 'package.json'];

/**
 * Desktop or web host, and why. `electronPath` null means no Electron binary
 * (`electronReason` says why).
 */
export function chooseLauncher({ platform, env, electronPath, electronReason, forceWeb }) {
  if (forceWeb) return { mode: 'web', reason: '--web given' };
  if (!electronPath) return { mode: 'web', reason: electronReason ?? 'the Electron binary is not installed' };
  if (platform !== 'darwin' && platform !== 'win32' && !env.DISPLAY && !env.WAYLAND_DISPLAY) {
    return { mode: 'web', reason: 'no display to open a window on (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { mode: 'electron', reason: null };
}

/** Split start's own flags from the ones passed on. */
export function parseArgs(argv) {
  const rest = [];
  let forceWeb = false;
  let build = true;
  for (const a of argv) {
    if (a === '--web') forceWeb = true;
    else if (a === '--no-build') build = false;
    else rest.push(a);
  }
  return { forceWeb, build, rest };
}

function newestMtime(path) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    max = Math.max(max, newestMtime(join(path, name)));
  }
  return max;
}

/** True when an output is missing or older than a source. */
export function needsBuild(root = ROOT) {
  const outs = OUTPUTS.map((o) => join(root, o));
  if (outs.some((o) => !existsSync(o))) return true;
  const oldestOut = Math.min(...outs.map((o) => statSync(o).mtimeMs));
  return INPUTS.some((i) => newestMtime(join(root, i)) > oldestOut);
}

function build() {
  const pkg = require.resolve('electron-vite/package.json', { paths: [ROOT] });
  const bin = join(dirname(pkg), 'bin', 'electron-vite.js');
  say('building the desktop app (electron-vite build)…');
  const r = spawnSync(process.execPath, [bin, 'build'], { cwd: ROOT, stdio: 'inherit' });
  return r.status === 0;
}

/** Run a child with our stdio; pass signals on; resolve to its exit code. */
function runChild(cmd, args, { onStdoutLine } = {}) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['inherit', onStdoutLine ? 'pipe' : 'inherit', 'inherit'] });
  if (onStdoutLine) {
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        onStdoutLine(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    });
  }
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    });
  }
  return new Promise((resolveExit) => {
    child.on('error', (err) => {
      say(`cannot run ${cmd}: ${err.message}`);
      resolveExit(1);
    });
    child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 }[signal] ?? 1) : 1)));
  });
}

async function main() {
  const { forceWeb, build: mayBuild, rest } = parseArgs(process.argv.slice(2));
  const { path: electronPath, reason: electronReason } = electronBinary(ROOT);
  const choice = chooseLauncher({ platform: process.platform, env: process.env, electronPath, electronReason, forceWeb });

  if (choice.mode === 'electron') {
    if (mayBuild && needsBuild() && !build()) {
      say('the desktop build failed (see above)');
      return 1;
    }
    const native = spawnSync(process.execPath, [join(ROOT, 'scripts', 'rebuild-native-electron.mjs')], { cwd: ROOT, stdio: 'inherit' });
    if (native.status !== 0) say('better-sqlite3 is not built for Electron; the app will say so when it opens its database');
    say(`starting the desktop app (${electronPath})`);
    return runChild(electronPath, [join(ROOT, 'out', 'main', 'main.js'), ...rest]);
  }

  say(`the desktop app cannot start here: ${choice.reason}. Starting the local web host instead (lw serve); open the address it prints in a browser.`);
  if (mayBuild && needsBuild() && !build()) say('the page build failed (see above); the web host serves whatever out/renderer holds');
  let announced = false;
  return runChild(process.execPath, [join(ROOT, 'bin', 'lw.mjs'), 'serve', ...rest], {
    onStdoutLine: (line) => {
      const url = /(https?:\/\/\S+)/.exec(line)?.[1];
      if (url && !announced) {
        announced = true;
        say(`web host ready at ${url}`);
      }
    },
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main();
}
