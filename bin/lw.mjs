#!/usr/bin/env node
// `lw` launcher: Node 20 cannot run TypeScript, so load the CLI through tsx's
// scoped loader (no global hooks, no child process). Pool workers load their
// own TypeScript the same way (src-workers/tasks/run-unit-worker.mjs).
//
// WebGPU: the commands that run experiments (run, resume, serve) use the GPU
// in this process's worker threads, and the Vulkan loader is found through
// LD_LIBRARY_PATH as it was when the process STARTED. On a Linux machine
// without a system Vulkan loader but with Debian's chromium (its loader and
// SwiftShader), those commands re-execute this launcher once with the
// variables set (scripts/gpu/vulkan-env.mjs; about 50 ms). Nothing changes
// anywhere else.
import { spawn } from 'node:child_process';
import { tsImport } from 'tsx/esm/api';
import { chromiumVulkanEnv } from '../scripts/gpu/vulkan-env.mjs';

const argv = process.argv.slice(2);
const RUNS_WORK = new Set(['run', 'resume', 'serve']);
const vulkan = RUNS_WORK.has(argv[0] ?? '') && !process.env.LW_VULKAN_REEXEC ? chromiumVulkanEnv() : null;

if (vulkan) {
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, ...vulkan, LW_VULKAN_REEXEC: '1' },
  });
  // Ctrl-C reaches the whole process group (the child handles it); a TERM sent to this process is passed on
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exitCode = code ?? 1;
  });
} else {
  const { runCli } = await tsImport('../src-main/cli/lw.ts', import.meta.url);
  process.exitCode = await runCli(argv);
}
