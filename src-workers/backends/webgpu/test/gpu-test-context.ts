/**
 * The GPU context of the WebGPU tests. Without an adapter the tests skip with
 * the reason printed, except under LW_REQUIRE_WEBGPU=1 (set by .ci/run, where
 * SwiftShader from Debian's chromium is always there): then a missing adapter
 * is a failure, so a GPU test can never silently not run in CI.
 */
import { openGpu } from '../runtime';
import type { GpuContext } from '../types';

let ctxPromise: Promise<{ ctx: GpuContext | null; reason: string }> | null = null;

export function testGpu(): Promise<{ ctx: GpuContext | null; reason: string }> {
  ctxPromise ??= openGpu().then(
    (ctx) => ({ ctx, reason: '' }),
    (err: unknown) => {
      const reason = err instanceof Error ? err.message : String(err);
      if (process.env['LW_REQUIRE_WEBGPU'] === '1') throw new Error(`LW_REQUIRE_WEBGPU=1 but ${reason}`);
      console.warn(`WebGPU tests skipped: ${reason}`);
      return { ctx: null, reason };
    },
  );
  return ctxPromise;
}
