/**
 * LSTM (SCIENCE.md §2, §4.1, §5): gradients against central finite
 * differences, the tangent against a finite difference of h_t, the recorded
 * §4.1 terms against an independent step-by-step re-implementation, and
 * float32 against float64.
 */
import { describe, expect, it } from 'vitest';
import { createLstmModel, lstmLayout } from './lstm';
import { D, describeGateModel, H, sig, type ReferenceOutput } from './test-harness';
import type { ParamLayout } from './types';

/**
 * Independent plain re-implementation of the LSTM recurrence (SCIENCE.md §2)
 * and of the §4.1 terms, one sequence and one step at a time.
 */
function referenceLstm(p: ArrayLike<number>, layout: ParamLayout, ln: boolean, x: ArrayLike<number>, B: number, T: number): ReferenceOutput {
  const G = 4 * H;
  const W = layout.byName['W']!.offset;
  const bb = layout.byName['b']!.offset;
  const U = layout.byName['U']!.offset;
  const Wo = layout.byName['W_out']!.offset;
  const bo = layout.byName['b_out']!.offset;
  const gain = ln ? layout.byName['ln_gain']!.offset : -1;
  const bias = ln ? layout.byName['ln_bias']!.offset : -1;
  // blocks: i = 0, f = 1, o = 2, g = 3
  const w = (a: number, blk: number, j: number): number => p[W + a * G + blk * H + j]!;
  const u = (a: number, blk: number, j: number): number => p[U + a * G + blk * H + j]!;
  const n = T * B * H;
  const out = {
    h: new Float64Array(n), forget: new Float64Array(n), expr: new Float64Array(n), cdiag: new Float64Array(n),
    yhat: new Float64Array(T * B),
  };
  for (let b = 0; b < B; b++) {
    let h = new Array<number>(H).fill(0);
    let c = new Array<number>(H).fill(0);
    for (let t = 0; t < T; t++) {
      const xt = (d: number): number => x[(t * B + b) * D + d]!;
      const pre = (blk: number): number[] => {
        const a: number[] = [];
        for (let j = 0; j < H; j++) {
          let s = p[bb + blk * H + j]!;
          for (let d = 0; d < D; d++) s += xt(d) * w(d, blk, j);
          for (let k = 0; k < H; k++) s += h[k]! * u(k, blk, j);
          a.push(s);
        }
        return a;
      };
      const i = pre(0).map(sig);
      const f = pre(1).map(sig);
      const o = pre(2).map(sig);
      let ag = pre(3);
      if (ln) {
        const mean = ag.reduce((s, v) => s + v, 0) / H;
        const vr = ag.reduce((s, v) => s + (v - mean) ** 2, 0) / H;
        ag = ag.map((v, j) => p[gain + j]! * (v - mean) / Math.sqrt(vr + 1e-5) + p[bias + j]!);
      }
      const g = ag.map(Math.tanh);
      const cn = c.map((cv, j) => f[j]! * cv + i[j]! * g[j]!);
      const hn = cn.map((cv, j) => o[j]! * Math.tanh(cv));
      let y = p[bo]!;
      for (let q = 0; q < H; q++) {
        const idx = (t * B + b) * H + q;
        out.h[idx] = hn[q]!;
        out.forget[idx] = f[q]!;
        out.expr[idx] = o[q]! * (1 - Math.tanh(cn[q]!) ** 2);
        out.cdiag[idx] = c[q]! * f[q]! * (1 - f[q]!) * u(q, 1, q) + i[q]! * (1 - g[q]! ** 2) * u(q, 3, q)
          + g[q]! * i[q]! * (1 - i[q]!) * u(q, 0, q);
        y += hn[q]! * p[Wo + q]!;
      }
      out.yhat[t * B + b] = y;
      h = hn;
      c = cn;
    }
  }
  return out;
}

describeGateModel({ describe, it, expect }, {
  name: 'LSTM',
  arch: 'lstm',
  nG: 4,
  create: createLstmModel,
  layout: lstmLayout,
  reference: referenceLstm,
  terms: ['forget', 'expr', 'cdiag'],
});
