// The Vulkan environment WebGPU (Dawn, npm `webgpu`) needs on Linux when the
// system has no Vulkan loader but Debian's chromium is installed: chromium
// ships its own loader (libvulkan.so.1) and the SwiftShader ICD in
// /usr/lib/chromium (DESIGN.md §6).
//
// The dynamic loader reads LD_LIBRARY_PATH once, when a process starts:
// setting it later does nothing for that process (dawn.node is loaded in it),
// only for its children. So the variables are set for processes about to
// start: vitest's forks (vitest.config.ts), the CLI re-executing itself
// (bin/lw.mjs), the NVIDIA benchmark script (scripts/gpu/run-nvidia-bench.sh
// has the same rule in shell).
//
// VK_ICD_FILENAMES replaces the loader's driver search, so it is set (to
// SwiftShader) only when no driver manifest exists in the standard places: a
// machine with an NVIDIA driver but no system loader gets chromium's loader
// and keeps its GPU.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

export const CHROMIUM_DIR = '/usr/lib/chromium';
export const SWIFTSHADER_ICD = `${CHROMIUM_DIR}/vk_swiftshader_icd.json`;

/** Where distributions put libvulkan.so.1. */
export const SYSTEM_LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu',
  '/usr/lib64', '/lib64', '/usr/lib', '/lib', '/usr/local/lib',
];

/** Where Vulkan drivers install their ICD manifests. */
export const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d'];

function defaultListJson(dir) {
  try {
    return readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
}

/**
 * The variables to add to `env` for a process that will use WebGPU, or null
 * when nothing is needed (a system loader exists, chromium's does not, or
 * the variables are set already). `fs` is for tests.
 */
export function chromiumVulkanEnv(env = process.env, fs = { exists: existsSync, listJson: defaultListJson, platform: process.platform }) {
  if (fs.platform !== 'linux') return null;
  const ldPath = (env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean);
  if (ldPath.includes(CHROMIUM_DIR)) return null; // done already (by us or by hand)
  const dirs = [...ldPath, ...SYSTEM_LIB_DIRS];
  if (dirs.some((d) => fs.exists(`${d}/libvulkan.so.1`))) return null;
  if (!fs.exists(`${CHROMIUM_DIR}/libvulkan.so.1`)) return null;
  const vars = { LD_LIBRARY_PATH: [CHROMIUM_DIR, ...ldPath].join(':') };
  const drivers = ICD_DIRS.some((d) => fs.listJson(d).length > 0);
  if (!env.VK_ICD_FILENAMES && !env.VK_DRIVER_FILES && !drivers && fs.exists(SWIFTSHADER_ICD)) vars.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  return vars;
}

/**
 * Re-execute this Node process once with chromiumVulkanEnv()'s variables, when
 * it has some and this process is not that re-executed child already
 * (LW_VULKAN_REEXEC). Returns false when nothing is needed (carry on here) and
 * true when the child was started: the caller then does nothing more, and
 * this process ends as the child does (its exit code, or the signal that ended
 * it). Ctrl-C reaches the whole process group (the child handles it); a TERM
 * sent to this process is passed on. `prog`, when given, names the program in
 * a one-line note on stderr.
 */
export function reexecWithVulkanLoader(prog) {
  const vars = process.env.LW_VULKAN_REEXEC ? null : chromiumVulkanEnv();
  if (!vars) return false;
  if (prog) process.stderr.write(`${prog}: using chromium's Vulkan loader (${Object.entries(vars).map(([k, v]) => `${k}=${v}`).join(' ')})\n`);
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...vars, LW_VULKAN_REEXEC: '1' },
  });
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('error', (err) => {
    process.stderr.write(`${prog ?? 'lw'}: could not re-execute with the Vulkan loader: ${err.message}\n`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    } else process.exitCode = code ?? 1;
  });
  return true;
}
