/**
 * Prints the WebGPU adapter this process gets (through the runtime's openGpu,
 * i.e. with the headless-NVIDIA rule of nvidia-headless.ts applied) and exits
 * 0 for a hardware adapter, 2 for a software one (SwiftShader, llvmpipe…), or
 * prints why there is none and exits 1. The device bundle's run.sh
 * runs it first, so a machine where no adapter appears is known before any
 * benchmark starts (and run.sh can try NVIDIA's EGL manifest itself).
 *
 *   npx tsx scripts/gpu/probe-adapter.ts
 */
import { adapterName, closeGpu, openGpu } from '../../src-workers/backends/webgpu/runtime';

try {
  const ctx = await openGpu();
  const a = ctx.adapter;
  process.stdout.write(`adapter: ${adapterName(ctx)} (vendor ${a.vendor || '-'}, ${a.fallback ? 'software' : 'hardware'}); `
    + `VK_DRIVER_FILES=${process.env['VK_DRIVER_FILES'] ?? 'unset'}\n`);
  closeGpu(ctx);
  process.exit(a.fallback ? 2 : 0);
} catch (err) {
  process.stdout.write(`no adapter: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
