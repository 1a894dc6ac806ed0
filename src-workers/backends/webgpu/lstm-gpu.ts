/**
 * The LSTM on the GPU (SCIENCE.md §2, §4.1, §5; CPU reference
 * engine/models/lstm.ts and kernels/ts-cells.ts lstm*): with h_{-1} = c_{-1} = 0,
 *   i, f, o = σ(x W_· + b_· + h_{t−1} U_·),  g = tanh(LN(x W_g + b_g + h_{t−1} U_g)),
 *   c_t = f ⊙ c_{t−1} + i ⊙ g,  h_t = o ⊙ tanh(c_t),  ŷ_t = h_t W_out + b_out.
 * Gate blocks (i, f, o, g) side by side in W, b, U (lstmLayout); the cell
 * state c and its tangent stay in registers (each thread owns its units).
 * Everything else (buffers, passes, reductions) is gate-block-gpu.ts.
 */
import { LSTM_BLOCKS } from '../../engine/models/lstm';
import type { ModelShape } from '../../engine/models/types';
import { GateBlockGpuModel, type DuBuffers, type GateBlockCell } from './gate-block-gpu';
import type { WgslGen } from './gate-block-gpu-wgsl';
import type { GpuContext, GpuModel, GpuModelOptions } from './types';

const { i: KI, f: KF, o: KO, g: KG } = LSTM_BLOCKS;
const ALL = [KI, KF, KO, KG];

export function createLstmGpuModel(ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions): GpuModel {
  return new GateBlockGpuModel(ctx, shape, opts, LSTM_CELL);
}

export const LSTM_CELL: GateBlockCell = {
  arch: 'lstm',
  nG: 4,
  extraRows: { forward: 0, tangent: 0 },
  backwardAux: 'aux',

  forwardWorkgroup: () => '',

  forwardPrelude(g: WgslGen, train: boolean): string {
    const lines = [`  var cst: array<f32, ${g.nUnit}>;`];
    if (!train) lines.push(g.loadDiagU('dUi', KI), g.loadDiagU('dUf', KF), g.loadDiagU('dUg', KG));
    return lines.join('\n');
  },

  forwardStep(g: WgslGen, train: boolean): string {
    const H = g.H;
    const cell = g.eachUS((u, s) => {
      const at = (k: number): string => `pre[${g.idx(u, k, s)}]`;
      const us = g.us(u, s);
      const writes = train
        ? [
          `        let gr = row${s} * cG + j${u};`,
          `        GATES[gr] = ig;`,
          `        GATES[gr + ${H}u] = fg;`,
          `        GATES[gr + ${2 * H}u] = og;`,
          `        GATES[gr + ${3 * H}u] = gg;`,
          `        HS[hr] = hv;`,
          `        AUX[hr] = cn;`,
          g.ln ? `        LNC[hr] = xh[${us}];` : '',
        ]
        : [
          // §4.1 lstm: forget f, expression o(1 − tanh² c), cdiag
          '        if (u.rec != 0u) {',
          '          R0[hr] = fg;',
          '          R1[hr] = og * (1.0 - tc * tc);',
          `          R2[hr] = cp * fg * (1.0 - fg) * dUf${u} + ig * (1.0 - gg * gg) * dUg${u} + gg * ig * (1.0 - ig) * dUi${u};`,
          '        }',
          '        if (u.hid != 0u) { HID[hr] = hv; }',
        ];
      return [
        '    {',
        `      let ig = sigmoid_s(${at(KI)});`,
        `      let fg = sigmoid_s(${at(KF)});`,
        `      let og = sigmoid_s(${at(KO)});`,
        `      let gg = tanh_s(${at(KG)});`,
        `      let cp = cst[${us}];`,
        '      let cn = fg * cp + ig * gg;',
        '      let tc = tanh_s(cn);',
        '      let hv = og * tc;',
        `      cst[${us}] = cn;`,
        `      hst[${us}] = hv;`,
        ...g.rowWrites(u, s, writes),
        '    }',
      ].join('\n');
    });
    return [
      g.inputPart([['pre', 'P']], ALL),
      '    if (t > 0u) {',
      g.matvecU([{ dst: 'pre', src: 'hw', buf: 'P' }], ALL),
      '    }',
      // with LayerNorm, ŷ_{t−1} is summed in the mean's reduction (one reduction a step less)
      g.ln ? g.lnForward('pre', KG, 'hst') : '',
      cell,
      g.forwardStepEnd(train, 'hst', 'hw', !g.ln),
    ].join('\n');
  },

  backwardPrelude(g: WgslGen): string {
    // ∂L/∂h_{t} and ∂L/∂c_{t} carries of this thread's units
    return `  var dhc: array<f32, ${g.nUnit}>;\n  var dcc: array<f32, ${g.nUnit}>;`;
  },

  backwardStep(g: WgslGen): string {
    const H = g.H;
    // ts-cells lstmBackward, per (unit, sequence)
    const cell = g.eachUS((u, s) => {
      const us = g.us(u, s);
      const dp = (k: number): string => `dp[${g.idx(u, k, s)}]`;
      return [
        '    {',
        ...g.backwardReads(u, s, ['ig', 'fg', 'og', 'gg'], { now: 'cn', prev: 'cp' }),
        '      let tc = tanh_s(cn);',
        `      let dh = dhc[${us}] + dyv * wo${u};`,
        `      let dc = dcc[${us}] + dh * og * (1.0 - tc * tc);`,
        `      ${dp(KI)} = dc * gg * ig * (1.0 - ig);`,
        `      ${dp(KF)} = dc * cp * fg * (1.0 - fg);`,
        `      ${dp(KO)} = dh * tc * og * (1.0 - og);`,
        `      ${dp(KG)} = dc * ig * (1.0 - gg * gg);`,
        `      dcc[${us}] = dc * fg;`,
        '    }',
      ].join('\n');
    });
    const store = g.eachUS((u, s) => {
      const lines = [`    if (${g.valid(u, s)}) {`, `      let gr = row${s} * cG + j${u};`];
      for (const k of ALL) lines.push(`      GATES[gr + ${k * H}u] = dp[${g.idx(u, k, s)}];`);
      lines.push('    }', `    if (ok${u}) {`);
      for (const k of ALL) lines.push(`      dw[${s}u * cG + ${k * H}u + j${u}] = dp[${g.idx(u, k, s)}];`);
      lines.push('    }');
      return lines.join('\n');
    });
    return [
      cell,
      g.ln ? g.lnBackward('dp', KG) : '',
      store,
      '    workgroupBarrier();',
      // ∂L/∂h_{t−1} = ∂a Uᵀ over all four gates
      '    if (t > 0u) {',
      g.eachUS((u, s) => `      dhc[${g.us(u, s)}] = 0.0;`),
      g.matvecUt('dhc', 'dw', 0, g.G),
      '    }',
      g.ln ? '' : '    workgroupBarrier();',
    ].join('\n');
  },

  tangentWorkgroup: () => '',

  tangentPrelude(g: WgslGen): string {
    return `  var cst: array<f32, ${g.nUnit}>;\n  var dcs: array<f32, ${g.nUnit}>;`;
  },

  tangentStep(g: WgslGen): string {
    // ts-cells lstmTangent alongside lstmForward
    const cell = g.eachUS((u, s) => {
      const us = g.us(u, s);
      const p = (k: number): string => `pre[${g.idx(u, k, s)}]`;
      const d = (k: number): string => `tpre[${g.idx(u, k, s)}]`;
      return [
        '    {',
        `      let ig = sigmoid_s(${p(KI)});`,
        `      let fg = sigmoid_s(${p(KF)});`,
        `      let og = sigmoid_s(${p(KO)});`,
        `      let gg = tanh_s(${p(KG)});`,
        `      let di = ig * (1.0 - ig) * ${d(KI)};`,
        `      let df = fg * (1.0 - fg) * ${d(KF)};`,
        `      let dO = og * (1.0 - og) * ${d(KO)};`,
        `      let dg = (1.0 - gg * gg) * ${d(KG)};`,
        `      let cp = cst[${us}];`,
        `      let dct = df * cp + fg * dcs[${us}] + di * gg + ig * dg;`,
        '      let cn = fg * cp + ig * gg;',
        '      let tc = tanh_s(cn);',
        '      let hv = og * tc;',
        '      let vv = dO * tc + og * (1.0 - tc * tc) * dct;',
        `      cst[${us}] = cn;`,
        `      dcs[${us}] = dct;`,
        `      hst[${us}] = hv;`,
        `      vst[${us}] = vv;`,
        ...g.tangentWrites(u, s),
        '    }',
      ].join('\n');
    });
    return [
      g.inputPart([['pre', 'P'], ['tpre', 'DIR']], ALL),
      '    if (t > 0u) {',
      // ∂a = x ∂W + ∂b + v_{t−1} U + h_{t−1} ∂U
      g.matvecU([{ dst: 'pre', src: 'hw', buf: 'P' }, { dst: 'tpre', src: 'vw', buf: 'P' }, { dst: 'tpre', src: 'hw', buf: 'DIR' }], ALL),
      '    }',
      g.ln ? g.lnForwardTangent('pre', 'tpre', KG) : '',
      cell,
      '    workgroupBarrier();',
      g.storeRows('hw', 'hst'),
      g.storeRows('vw', 'vst'),
      '    workgroupBarrier();',
    ].join('\n');
  },

  encodeDU(b: DuBuffers): void {
    // dU = Σ_{t≥1} h_{t−1}ᵀ ∂a(t): rows B … T·B−1 of dPre against rows 0 … (T−1)·B−1 of hs
    b.red.gemmTN(b.enc, {
      rows: (b.T - 1) * b.B, m: b.H, n: b.G, a: b.hs, aOff: 0, lda: b.H,
      b: b.dpre, bOff: b.B * b.G, ldb: b.G, c: b.grads, cOff: b.off.U, ldc: b.G,
    });
  },
};
