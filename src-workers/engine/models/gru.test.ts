/**
 * GRU (SCIENCE.md §2, §4.1, §5): gradients against central finite
 * differences, the tangent against a finite difference of h_t, the recorded
 * §4.1 terms against an independent step-by-step re-implementation, and
 * float32 against float64.
 */
import { describe, expect, it } from 'vitest';
import { createGruModel, gruLayout } from './gru';
import { D, describeGateModel, H, sig, type ReferenceOutput } from './test-harness';
import type { ParamLayout } from './types';

/**
 * Independent plain re-implementation of the GRU recurrence (SCIENCE.md §2)
 * and of the §4.1 terms, one sequence and one step at a time.
 */
function referenceGru(p: ArrayLike<number>, layout: ParamLayout, ln: boolean, x: ArrayLike<number>, B: number, T: number): ReferenceOutput {
  const G = 3 * H;
  const W = layout.byName['W']!.offset;
  const bb = layout.byName['b']!.offset;
  const U = layout.byName['U']!.offset;
  const Wo = layout.byName['W_out']!.offset;
  const bo = layout.byName['b_out']!.offset;
  const gain = ln ? layout.byName['ln_gain']!.offset : -1;
  const bias = ln ? layout.byName['ln_bias']!.offset : -1;
  // blocks: z = 0, r = 1, g = 2
  const w = (i: number, blk: number, j: number): number => p[W + i * G + blk * H + j]!;
  const u = (i: number, blk: number, j: number): number => p[U + i * G + blk * H + j]!;
  const n = T * B * H;
  const out = {
    h: new Float64Array(n), leak: new Float64Array(n), r: new Float64Array(n), rdiag: new Float64Array(n),
    yhat: new Float64Array(T * B),
  };
  for (let b = 0; b < B; b++) {
    let h = new Array<number>(H).fill(0);
    for (let t = 0; t < T; t++) {
      const xt = (d: number): number => x[(t * B + b) * D + d]!;
      const pre = (blk: number, hin: number[]): number[] => {
        const a: number[] = [];
        for (let j = 0; j < H; j++) {
          let s = p[bb + blk * H + j]!;
          for (let d = 0; d < D; d++) s += xt(d) * w(d, blk, j);
          for (let i = 0; i < H; i++) s += hin[i]! * u(i, blk, j);
          a.push(s);
        }
        return a;
      };
      const z = pre(0, h).map(sig);
      const r = pre(1, h).map(sig);
      const rh = r.map((rv, j) => rv * h[j]!);
      let ag = pre(2, rh);
      if (ln) {
        const mean = ag.reduce((s, v) => s + v, 0) / H;
        const vr = ag.reduce((s, v) => s + (v - mean) ** 2, 0) / H;
        ag = ag.map((v, j) => p[gain + j]! * (v - mean) / Math.sqrt(vr + 1e-5) + p[bias + j]!);
      }
      const g = ag.map(Math.tanh);
      const hn = h.map((hv, j) => (1 - z[j]!) * hv + z[j]! * g[j]!);
      let y = p[bo]!;
      for (let q = 0; q < H; q++) {
        const idx = (t * B + b) * H + q;
        out.h[idx] = hn[q]!;
        out.leak[idx] = 1 - z[q]!;
        out.r[idx] = r[q]!;
        out.rdiag[idx] = (g[q]! - h[q]!) * z[q]! * (1 - z[q]!) * u(q, 0, q)
          + z[q]! * (1 - g[q]! ** 2) * u(q, 2, q) * (r[q]! + h[q]! * r[q]! * (1 - r[q]!) * u(q, 1, q));
        y += hn[q]! * p[Wo + q]!;
      }
      out.yhat[t * B + b] = y;
      h = hn;
    }
  }
  return out;
}

describeGateModel({ describe, it, expect }, {
  name: 'GRU',
  arch: 'gru',
  nG: 3,
  create: createGruModel,
  layout: gruLayout,
  reference: referenceGru,
  terms: ['leak', 'r', 'rdiag'],
});
