/**
 * Per-kernel GPU time from timestamp queries (profiler.ts; the benchmarks'
 * --profile options). SwiftShader has 'timestamp-query', so CI checks: a model's
 * training step is broken down into its own kernels, one pass each, with the
 * same results as without the profile; GPU times are positive and within the
 * wall time that brackets them (no unit slip; no timing comparison between
 * kernels, which a loaded machine would make flaky); passes beyond an encoder's quota are
 * counted as untimed; without an open profile nothing is timed.
 */
import { describe, expect, it } from 'vitest';
import { createGpuModel } from '../index';
import { initParams } from '../../../engine/models/params';
import { Rng } from '../../../engine/rng';
import { createStorage, flush, Kernel, startGpuProfile, submit, takeGpuProfile } from '../runtime';
import type { GpuContext } from '../types';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

function loopKernel(g: GpuContext, iterations: number): Kernel {
  return new Kernel(g, `loop ${iterations}`, /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> o: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  var a = f32(gid.x);
  for (var i = 0u; i < ${iterations}u; i++) { a = a * 0.999 + 1.0; }
  o[gid.x] = a;
}`, 1, { uniform: false });
}

describe.skipIf(!ctx)('GPU profile (timestamp queries)', () => {
  const g = ctx!;

  it('sums each kernel label over its passes, in milliseconds within the wall time around them', async () => {
    const buf = createStorage(g, 1024, 'out');
    const small = loopKernel(g, 10), big = loopKernel(g, 20000);
    await flush(g);
    expect(startGpuProfile(g)).toBe(true);
    const t0 = performance.now();
    for (let r = 0; r < 3; r++) {
      const enc = g.device.createCommandEncoder();
      small.encode(enc, [16], [buf]);
      big.encode(enc, [16], [buf]);
      submit(g, enc);
    }
    await flush(g);
    const wallMs = performance.now() - t0;
    const p = (await takeGpuProfile(g))!;
    expect(Object.keys(p.kernels).sort()).toEqual(['loop 10', 'loop 20000']);
    expect(p.kernels['loop 10']!.passes).toBe(3);
    expect(p.kernels['loop 20000']!.passes).toBe(3);
    // the passes ran inside [t0, t0 + wall]: their GPU time is positive and cannot exceed it (a unit slip would)
    expect(p.kernels['loop 20000']!.ms).toBeGreaterThan(0);
    expect(p.kernels['loop 10']!.ms).toBeGreaterThanOrEqual(0);
    expect(p.totalMs).toBeLessThanOrEqual(wallMs + 1);
    expect(p.totalMs).toBeCloseTo(p.kernels['loop 10']!.ms + p.kernels['loop 20000']!.ms, 9);
    expect(p.untimed).toBe(0);
    // closed: nothing more is timed, and a second take has nothing
    expect(await takeGpuProfile(g)).toBeNull();
    buf.destroy();
  });

  it('passes past 256 in one encoder are counted as untimed, the next encoder is timed again', async () => {
    const buf = createStorage(g, 64, 'out');
    const k = loopKernel(g, 1);
    startGpuProfile(g);
    let enc = g.device.createCommandEncoder();
    for (let i = 0; i < 300; i++) k.encode(enc, [1], [buf]);
    submit(g, enc);
    enc = g.device.createCommandEncoder();
    k.encode(enc, [1], [buf]);
    submit(g, enc);
    await flush(g);
    const p = (await takeGpuProfile(g))!;
    expect(p.kernels['loop 1']!.passes).toBe(257);
    expect(p.untimed).toBe(44);
    buf.destroy();
  });

  it("an LSTM training step: its own kernels, one pass each, results as without the profile", async () => {
    const shape = { arch: 'lstm' as const, D: 3, H: 8, layernorm: true, constS: 0.1 };
    const B = 4, T = 5;
    const step = async (profile: boolean) => {
      const m = createGpuModel(g, shape, { maxBatch: B, maxT: T });
      initParams(m.layout, m.params, { seed: 1, orthInit: true, constS: 0.1 });
      const rng = new Rng(2);
      const x = Float32Array.from({ length: T * B * 3 }, () => rng.gaussian());
      const y = Float32Array.from({ length: T * B }, () => rng.gaussian());
      const sse = new Float64Array(1);
      if (profile) startGpuProfile(g);
      await m.forward(x, B, T, new Float32Array(T * B), { train: true, loss: { scale: 2 / (T * B), sse, y } });
      await m.backward();
      const p = profile ? await takeGpuProfile(g) : null;
      const grads = Float32Array.from(m.grads);
      m.dispose();
      return { p, grads, sse: sse[0]! };
    };
    const plain = await step(false);
    const timed = await step(true);
    expect(Array.from(timed.grads)).toEqual(Array.from(plain.grads));
    expect(timed.sse).toBe(plain.sse);
    const k = timed.p!.kernels;
    expect(k['lstm-forward-train']?.passes).toBe(1);
    expect(k['lstm-backward']?.passes).toBe(1);
    expect(Object.keys(k).some((l) => l.startsWith('reduce-'))).toBe(true);
    for (const v of Object.values(k)) expect(v.ms).toBeGreaterThanOrEqual(0);
    expect(timed.p!.totalMs).toBeGreaterThan(0);
  });
});
