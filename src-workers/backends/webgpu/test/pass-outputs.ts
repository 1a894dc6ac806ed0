/**
 * Every output of a GPU model's passes on seeded data, for comparisons of two
 * kernel variants that must agree bit for bit (unroll.test.ts; on real
 * hardware scripts/gpu/parity-check.ts): an evaluation forward (ŷ, h, the
 * §4.1 terms), a training step (ŷ, then the gradients of a seeded ∂L/∂ŷ) and
 * a tangent pass (v, h). Parameters: the initialisation plus noise on every
 * entry, so zero-initialised gate weights are live too.
 */
import { createGpuModel } from '../index';
import { initParams } from '../../../engine/models/params';
import { RECORDED_TERMS, type ModelShape } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import type { GpuContext, GpuKernelShape, GpuTuning } from '../types';

/** n seeded Gaussians of standard deviation `scale`, in float32. */
export function gaussians(rng: Rng, n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.gaussian();
  return a;
}

export async function passOutputs(
  g: GpuContext, shape: ModelShape, B: number, T: number, tuning: GpuTuning,
): Promise<{ outputs: Record<string, Float32Array>; used: GpuKernelShape }> {
  const { D, H } = shape;
  const m = createGpuModel(g, shape, { maxBatch: B, maxT: T, tuning });
  try {
    initParams(m.layout, m.params, { seed: 3, orthInit: true, constS: shape.constS });
    const rng = new Rng(77);
    for (let i = 0; i < m.params.length; i++) m.params[i] = m.params[i]! + 0.3 * rng.gaussian();
    const x = gaussians(rng, T * B * D);
    const out: Record<string, Float32Array> = {};
    const record: Record<string, Float32Array> = {};
    for (const t of RECORDED_TERMS[shape.arch]) record[t] = new Float32Array(T * B * H);
    out['yhat'] = new Float32Array(T * B);
    out['hidden'] = new Float32Array(T * B * H);
    await m.forward(x, B, T, out['yhat'], { train: false, record, hidden: out['hidden'] });
    for (const [t, a] of Object.entries(record)) out[t] = a;
    out['yhat(train)'] = new Float32Array(T * B);
    await m.forward(x, B, T, out['yhat(train)'], { train: true });
    await m.backward(gaussians(rng, T * B, 0.2));
    out['grads'] = Float32Array.from(m.grads);
    const dir = gaussians(rng, m.params.length, 0.1);
    out['v'] = new Float32Array(T * B * H);
    out['hidden(tangent)'] = new Float32Array(T * B * H);
    await m.tangent(x, B, T, dir, out['v'], out['hidden(tangent)']);
    return { outputs: out, used: m.tuning };
  } finally {
    m.dispose();
  }
}

/** The first entry where two output sets differ in any bit ('' when none), e.g. "grads[17] 0.25 ≠ 0.2500001". */
export function firstDifference(want: Record<string, Float32Array>, got: Record<string, Float32Array>): string {
  for (const [k, a] of Object.entries(want)) {
    const b = got[k];
    if (!b || b.length !== a.length) return `${k}: missing or of another length`;
    const i = a.findIndex((v, j) => !Object.is(v, b[j]));
    if (i >= 0) return `${k}[${i}] ${b[i]} ≠ ${a[i]}`;
  }
  return '';
}
