#!/usr/bin/env node
// `lw` launcher: Node 20 cannot run TypeScript, so load the CLI through tsx's
// scoped loader (no global hooks, no child process). Pool workers load their
// own TypeScript the same way (src-workers/tasks/run-unit-worker.mjs).
//
// WebGPU: the commands that run experiments (run, resume, serve) and tune the
// GPU kernels (tune) use the GPU in this process's worker threads (and info
// probes it the same way), and the Vulkan loader is found through
// LD_LIBRARY_PATH as it was when the process STARTED. On a Linux machine
// without a system Vulkan loader but with Debian's chromium (its loader and
// SwiftShader), those commands re-execute this launcher once with the
// variables set (scripts/gpu/vulkan-env.mjs; about 50 ms). Nothing changes
// anywhere else.
import { tsImport } from 'tsx/esm/api';
import { reexecWithVulkanLoader } from '../scripts/gpu/vulkan-env.mjs';

const argv = process.argv.slice(2);
// the commands that use the GPU (info probes the adapter the way runs would get it)
const RUNS_WORK = new Set(['run', 'resume', 'serve', 'info', 'tune']);

if (!(RUNS_WORK.has(argv[0] ?? '') && reexecWithVulkanLoader())) {
  const { runCli } = await tsImport('../src-main/cli/lw.ts', import.meta.url);
  process.exitCode = await runCli(argv);
}
