/**
 * GPU ↔ CPU parity (issue 6, item 3): the same parameters and inputs through
 * a GPU model and the float64 TypeScript CPU model of the same architecture;
 * every output compared by its relative L2 error ‖gpu − cpu‖ / ‖cpu‖.
 *
 * The CPU model is the mathematical reference (its gradients and tangents are
 * checked against finite differences in engine/models/*.test.ts). Parameters
 * are the CPU initialisation plus Gaussian noise (so every path is live:
 * shared/diag start with U_s = 0 and the LayerNorm gain at 1), rounded to
 * float32 so both models see exactly the same numbers. The calls use a batch
 * and length below the models' maxima, as the training loop does for its
 * last mini-batch.
 */
import { createTsKernels } from '../../../engine/kernels/ts-kernels';
import { createInitialisedModel } from '../../../engine/models/index';
import { RECORDED_TERMS, type Arch, type ModelShape } from '../../../engine/models/types';
import { Rng } from '../../../engine/rng';
import type { GpuContext, GpuModelFactory } from '../types';

export interface ParityCase {
  arch: Arch;
  D: number;
  H: number;
  /** batch of the calls (the model is built for B + 1) */
  B: number;
  /** length of the calls (the model is built for T + 2) */
  T: number;
  layernorm: boolean;
  constS?: number;
  seed?: number;
  /** standard deviation of the noise added to the initial parameters (default 0.3) */
  noise?: number;
}

export interface ParityReport {
  /** ŷ, hidden and each recorded §4.1 term of an evaluation forward */
  forward: Record<string, number>;
  /** ŷ of a training forward, then each parameter tensor's gradient */
  grads: Record<string, number>;
  /** v and h of the tangent pass */
  tangent: Record<string, number>;
}

/** ‖a − b‖ / ‖b‖ over the first n entries (float64); NaN anywhere gives NaN. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>, n = b.length, off = 0): number {
  let d = 0;
  let r = 0;
  for (let i = off; i < off + n; i++) {
    d += (a[i]! - b[i]!) ** 2;
    r += b[i]! ** 2;
  }
  if (r === 0) return d === 0 ? 0 : Infinity;
  return Math.sqrt(d / r);
}

function gaussians(rng: Rng, n: number, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.fround(scale * rng.gaussian());
  return a;
}

export async function runParity(ctx: GpuContext, factory: GpuModelFactory, c: ParityCase): Promise<ParityReport> {
  const { arch, D, H, B, T, layernorm } = c;
  const shape: ModelShape = { arch, D, H, layernorm, constS: c.constS ?? 0.05 };
  const seed = c.seed ?? 11;
  const maxBatch = B + 1;
  const maxT = T + 2;
  const cpu = createInitialisedModel(shape, { kernels: createTsKernels<Float64Array>('f64'), maxBatch, maxT }, { seed, orthInit: true });
  const rng = new Rng(seed + 1000);
  const P = cpu.layout.size;
  const noise = c.noise ?? 0.3;
  for (let i = 0; i < P; i++) cpu.params[i] = Math.fround(cpu.params[i]! + noise * rng.gaussian());

  const gpu = factory(ctx, shape, { maxBatch, maxT });
  try {
    if (gpu.layout.size !== P) throw new Error(`GPU layout has ${gpu.layout.size} parameters, CPU ${P}`);
    for (let i = 0; i < P; i++) gpu.params[i] = cpu.params[i]!;

    const x64 = gaussians(rng, T * B * D);
    const x32 = Float32Array.from(x64);
    const terms = RECORDED_TERMS[arch];
    const forward: Record<string, number> = {};

    // evaluation forward with the §4.1 terms and the hidden states
    const y64 = new Float64Array(T * B), y32 = new Float32Array(T * B);
    const h64 = new Float64Array(T * B * H), h32 = new Float32Array(T * B * H);
    const rec64: Record<string, Float64Array> = {}, rec32: Record<string, Float32Array> = {};
    for (const t of terms) { rec64[t] = new Float64Array(T * B * H); rec32[t] = new Float32Array(T * B * H); }
    cpu.forward(x64, B, T, y64, { train: false, record: rec64, hidden: h64 });
    await gpu.forward(x32, B, T, y32, { train: false, record: rec32, hidden: h32 });
    forward['yhat'] = relErr(y32, y64);
    forward['hidden'] = relErr(h32, h64);
    for (const t of terms) forward[t] = relErr(rec32[t]!, rec64[t]!);

    // training forward + backward with a random ∂L/∂ŷ
    const grads: Record<string, number> = {};
    const dy64 = gaussians(rng, T * B, 1 / Math.sqrt(T * B));
    const dy32 = Float32Array.from(dy64);
    cpu.forward(x64, B, T, y64, { train: true });
    await gpu.forward(x32, B, T, y32, { train: true });
    grads['yhat(train)'] = relErr(y32, y64);
    cpu.backward(dy64);
    await gpu.backward(dy32);
    for (const t of cpu.layout.tensors) grads[t.name] = relErr(gpu.grads, cpu.grads, t.size, t.offset);

    // tangent along a random unit direction
    const tangent: Record<string, number> = {};
    const dir64 = gaussians(rng, P);
    let n2 = 0;
    for (let i = 0; i < P; i++) n2 += dir64[i]! ** 2;
    for (let i = 0; i < P; i++) dir64[i] = Math.fround(dir64[i]! / Math.sqrt(n2));
    const dir32 = Float32Array.from(dir64);
    const v64 = new Float64Array(T * B * H), v32 = new Float32Array(T * B * H);
    cpu.tangent(x64, B, T, dir64, v64, h64);
    await gpu.tangent(x32, B, T, dir32, v32, h32);
    tangent['v'] = relErr(v32, v64);
    tangent['hidden'] = relErr(h32, h64);
    return { forward, grads, tangent };
  } finally {
    gpu.dispose();
  }
}

/** The entries of a report above `tol` (empty when all agree), for readable failures. */
export function parityFailures(r: ParityReport, tol: number): string[] {
  const out: string[] = [];
  for (const [group, m] of Object.entries(r)) {
    for (const [k, v] of Object.entries(m as Record<string, number>)) if (!(v <= tol)) out.push(`${group}.${k} = ${v}`);
  }
  return out;
}
