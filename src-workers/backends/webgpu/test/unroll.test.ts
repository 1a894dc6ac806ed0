/**
 * The unrolled loops over the input and hidden axes (wgsl-lib unrolledLoop)
 * change only when the loads are issued, never the order in which an
 * accumulator receives its terms: every output of every pass must be
 * bit-identical for every unroll factor, including factors that leave a
 * remainder (H = 13, D = 5) and more units per thread than one (WG 8).
 */
import { describe, expect, it } from 'vitest';
import { createGpuModel } from '../index';
import { forwardKernel, backwardKernel, tangentKernel, type GatedKernelSpec } from '../gated-gpu-wgsl';
import { WgslGen } from '../gate-block-gpu-wgsl';
import { unrolledLoop, unrollFactor, MAX_AUTO_UNROLL, type UnrollSetting } from '../wgsl-lib';
import type { Arch, ModelShape } from '../../../engine/models/types';
import type { GpuContext } from '../types';
import { testGpu } from './gpu-test-context';
import { firstDifference, passOutputs } from './pass-outputs';

const { ctx } = await testGpu();

const ARCHS: Arch[] = ['const', 'shared', 'diag', 'gru', 'lstm'];
const D = 5, H = 13, B = 3, T = 6;

/** Every output of every pass of `arch` at the test's shape (2 units per thread, 2 sequences per workgroup). */
async function outputs(g: GpuContext, arch: Arch, unroll: UnrollSetting | undefined): Promise<Record<string, Float32Array>> {
  const shape: ModelShape = { arch, D, H, layernorm: true, constS: 0.1 };
  const r = await passOutputs(g, shape, B, T, { workgroupSize: 8, seqsPerWorkgroup: 2, ...(unroll !== undefined ? { unroll } : {}) });
  // no unroll asked: the models' default, rolled loops
  expect(r.used.unroll).toBe(unroll ?? 1);
  return r.outputs;
}

describe.skipIf(!ctx)('unrolled hidden-axis loops: bit-identical results for every unroll factor', () => {
  const g = ctx!;
  // (the default is rolled: its case checks only that no unroll asked gives unroll 1; 'auto' and the factors carry the comparison)
  it.each(ARCHS)('%s: unroll 3, 8, 32, auto and the default equal the rolled loops bit for bit', async (arch) => {
    const rolled = await outputs(g, arch, 1);
    for (const a of Object.values(rolled)) expect(a.every(Number.isFinite)).toBe(true);
    expect(rolled['grads']!.some((v) => v !== 0)).toBe(true);
    for (const unroll of [3, 8, 32, 'auto', undefined] as const) {
      const got = await outputs(g, arch, unroll);
      expect(firstDifference(rolled, got), `${arch} unroll ${unroll ?? 'default'} against the rolled loops`).toBe('');
    }
  });

  it.each([0, 33, 2.5, 'eight'])('unroll %s is refused, naming the field and the range', (unroll) => {
    for (const arch of ['diag', 'lstm'] as Arch[]) {
      const tuning = { unroll } as { unroll: UnrollSetting };
      expect(() => createGpuModel(g, { arch, D, H, layernorm: false, constS: 0.1 }, { maxBatch: B, maxT: T, tuning }))
        .toThrow(/unroll must be 'auto' or an integer from 1 to 32 \(1 = rolled loops\), got /);
    }
  });
});

describe('unrolled loop generation', () => {
  it('main loop of ⌊n/f⌋·f indices in steps of f, loads before the body, a rolled remainder', () => {
    const seen: string[][] = [];
    const src = unrolledLoop('i', 2, 13, 4, '', ({ i, q }) => `let w${q} = W[${i}];`, (ixs) => {
      seen.push(ixs.map((ix) => ix.i));
      return ixs.map(({ q }) => `acc = acc + w${q};`).join('\n');
    });
    expect(src).toContain('for (var i0 = 2u; i0 < 10u; i0 = i0 + 4u) {');
    expect(src).toContain('for (var i = 10u; i < 13u; i = i + 1u) {');
    // the body sees the indices in order; every load precedes every use in the unrolled pass
    expect(seen[0]).toEqual(['(i0 + 0u)', '(i0 + 1u)', '(i0 + 2u)', '(i0 + 3u)']);
    expect(seen[1]).toEqual(['i']);
    const pass = src.slice(0, src.indexOf('for (var i = 10u'));
    expect(pass.lastIndexOf('let w_3')).toBeLessThan(pass.indexOf('acc = acc + w_0'));
  });

  it('factor 1, or a factor above the trip count, gives one rolled loop / one pass', () => {
    expect(unrolledLoop('d', 0, 5, 1, '', ({ i, q }) => `let x${q} = X[${i}];`, () => 'y = x;'))
      .toMatch(/^for \(var d = 0u; d < 5u; d = d \+ 1u\) \{\n {2}let x = X\[d\];\n {2}y = x;\n\}$/);
    const one = unrolledLoop('d', 0, 3, 8, '', ({ i, q }) => `let x${q} = X[${i}];`, () => '');
    expect(one).toContain('for (var d0 = 0u; d0 < 3u; d0 = d0 + 3u) {');
    expect(one).not.toContain('for (var d = ');
  });

  it('\'auto\' is the largest power of two ≤ 8 whose loads fit 64 registers; no setting: rolled', () => {
    expect(MAX_AUTO_UNROLL).toBe(8);
    expect(unrollFactor(5, 'auto')).toBe(8);   // lstm forward, S = 1: 4 weights + 1 state
    expect(unrollFactor(10, 'auto')).toBe(4);
    expect(unrollFactor(33, 'auto')).toBe(1);
    expect(unrollFactor(5)).toBe(1); // the default: rolled loops
    expect(unrollFactor(33, 6)).toBe(6); // a tuning's factor is taken as given
  });

  it('the generated kernels use the factor asked for on the hidden loops (gated and gate-block)', () => {
    const spec: GatedKernelSpec = {
      D: 5, H: 13, G: 13, ln: true, constS: 0.1, S: 2, WG: 8, isOff: 0, unroll: 4,
      off: { Wx: 0, bx: 1, Wh: 2, gain: 3, beta: 4, Ws: 5, Us: 6, bs: 7, Wout: 8, bout: 9 },
    };
    for (const code of [forwardKernel(spec, 'train').code, backwardKernel(spec).code, tangentKernel(spec).code]) {
      expect(code).toContain('for (var i0 = 0u; i0 < 12u; i0 = i0 + 4u) {');
      expect(code).toContain('for (var i = 12u; i < 13u; i = i + 1u) {');
    }
    const gen = new WgslGen({
      D: 5, H: 13, nG: 4, S: 2, WG: 8, ln: false, isOff: 0, unroll: 4,
      off: { W: 0, b: 1, U: 2, lnGain: -1, lnBias: -1, Wout: 3, bout: 4 } as ConstructorParameters<typeof WgslGen>[0]['off'],
    });
    expect(gen.matvecU([{ dst: 'pre', src: 'hw', buf: 'P' }], [0, 1, 2, 3])).toContain('for (var i0 = 0u; i0 < 12u; i0 = i0 + 4u) {');
    expect(gen.matvecUt('carry', 'dw', 0, 52)).toContain('for (var q0 = 0u; q0 < 52u; q0 = q0 + 4u) {');
  });
});
