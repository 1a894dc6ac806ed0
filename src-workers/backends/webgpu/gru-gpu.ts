/**
 * The GRU on the GPU (SCIENCE.md §2, §4.1, §5; CPU reference
 * engine/models/gru.ts and kernels/ts-cells.ts gru*): with h_{-1} = 0,
 *   z, r = σ(x W_· + b_· + h_{t−1} U_·),  g = tanh(LN(x W_g + b_g + (r ⊙ h_{t−1}) U_g)),
 *   h_t = (1 − z) ⊙ h_{t−1} + z ⊙ g,  ŷ_t = h_t W_out + b_out.
 * Gate blocks (z, r, g) side by side in W, b, U (gruLayout). Each step needs
 * r before the candidate's matrix-vector product: z, r first, then r ⊙ h_{t−1}
 * through a workgroup row (and a barrier), then the candidate. Backward has
 * the extra path through r (ts-cells gruResetBackward): ∂(r⊙h_{t−1}) =
 * ∂a_g U_gᵀ first, then ∂a_r, then the carry through [U_z U_r]ᵀ.
 * Everything else (buffers, passes, reductions) is gate-block-gpu.ts.
 */
import { GRU_BLOCKS } from '../../engine/models/gru';
import type { ModelShape } from '../../engine/models/types';
import { GateBlockGpuModel, type DuBuffers, type GateBlockCell } from './gate-block-gpu';
import type { WgslGen } from './gate-block-gpu-wgsl';
import type { GpuContext, GpuModel, GpuModelOptions } from './types';

const { z: KZ, r: KR, g: KG } = GRU_BLOCKS;

export function createGruGpuModel(ctx: GpuContext, shape: ModelShape, opts: GpuModelOptions): GpuModel {
  return new GateBlockGpuModel(ctx, shape, opts, GRU_CELL);
}

export const GRU_CELL: GateBlockCell = {
  arch: 'gru',
  nG: 3,
  // forward: rw (r ⊙ h_{t−1}); tangent: rw and ww (its tangent ∂(r ⊙ h_{t−1}))
  extraRows: { forward: 1, tangent: 2 },
  backwardAux: 'hs',

  forwardWorkgroup: (g: WgslGen) => g.wgRows('rw'),

  forwardPrelude(g: WgslGen, train: boolean): string {
    return train ? '' : [g.loadDiagU('dUz', KZ), g.loadDiagU('dUr', KR), g.loadDiagU('dUg', KG)].join('\n');
  },

  forwardStep(g: WgslGen, train: boolean): string {
    const H = g.H;
    // z, r (ts-cells gruGates) and r ⊙ h_{t−1} to the workgroup (and the cache)
    const gates = g.eachUS((u, s) => {
      const z = `pre[${g.idx(u, KZ, s)}]`, r = `pre[${g.idx(u, KR, s)}]`;
      return [
        '    {',
        `      ${z} = sigmoid_s(${z});`,
        `      ${r} = sigmoid_s(${r});`,
        `      let rh = ${r} * hst[${g.us(u, s)}];`,
        `      if (ok${u}) { rw[${s}u * cH + j${u}] = rh; }`,
        train ? `      if (${g.valid(u, s)}) { AUX[row${s} * cH + j${u}] = rh; }` : '',
        '    }',
      ].join('\n');
    });
    // candidate and update (ts-cells gruCell)
    const cell = g.eachUS((u, s) => {
      const us = g.us(u, s);
      const writes = train
        ? [
          `        let gr = row${s} * cG + j${u};`,
          '        GATES[gr] = zg;',
          `        GATES[gr + ${H}u] = rg;`,
          `        GATES[gr + ${2 * H}u] = gg;`,
          '        HS[hr] = hv;',
          g.ln ? `        LNC[hr] = xh[${us}];` : '',
        ]
        : [
          // §4.1 gru: leak 1 − z, r, rdiag
          '        if (u.rec != 0u) {',
          '          R0[hr] = 1.0 - zg;',
          '          R1[hr] = rg;',
          `          R2[hr] = (gg - hp) * zg * (1.0 - zg) * dUz${u} + zg * (1.0 - gg * gg) * dUg${u} * (rg + hp * rg * (1.0 - rg) * dUr${u});`,
          '        }',
          '        if (u.hid != 0u) { HID[hr] = hv; }',
        ];
      return [
        '    {',
        `      let zg = pre[${g.idx(u, KZ, s)}];`,
        `      let rg = pre[${g.idx(u, KR, s)}];`,
        `      let gg = tanh_s(pre[${g.idx(u, KG, s)}]);`,
        `      let hp = hst[${us}];`,
        '      let hv = hp + zg * (gg - hp);',
        `      hst[${us}] = hv;`,
        ...g.rowWrites(u, s, writes),
        '    }',
      ].join('\n');
    });
    return [
      g.inputPart([['pre', 'P']], [KZ, KR, KG]),
      '    if (t > 0u) {',
      g.matvecU([{ dst: 'pre', src: 'hw', buf: 'P' }], [KZ, KR]),
      '    }',
      gates,
      '    workgroupBarrier();',
      '    if (t > 0u) {',
      g.matvecU([{ dst: 'pre', src: 'rw', buf: 'P' }], [KG]),
      '    }',
      // with LayerNorm, ŷ_{t−1} is summed in the mean's reduction (one reduction a step less)
      g.ln ? g.lnForward('pre', KG, 'hst') : '',
      cell,
      g.forwardStepEnd(train, 'hst', 'hw', !g.ln),
    ].join('\n');
  },

  backwardPrelude(g: WgslGen): string {
    // ∂L/∂h carry; h_{t−1} and r of this step for the reset path; ∂(r ⊙ h_{t−1})
    return [
      `  var carry: array<f32, ${g.nUnit}>;`,
      `  var hps: array<f32, ${g.nUnit}>;`,
      `  var rgs: array<f32, ${g.nUnit}>;`,
      `  var wst: array<f32, ${g.nUnit}>;`,
    ].join('\n');
  },

  backwardStep(g: WgslGen): string {
    const H = g.H;
    // ts-cells gruCellBackward (AUX is hs here)
    const cell = g.eachUS((u, s) => {
      const us = g.us(u, s);
      return [
        '    {',
        ...g.backwardReads(u, s, ['zg', 'rg', 'gg'], { prev: 'hp' }),
        `      let dh = carry[${us}] + dyv * wo${u};`,
        `      dp[${g.idx(u, KZ, s)}] = dh * (gg - hp) * zg * (1.0 - zg);`,
        `      dp[${g.idx(u, KR, s)}] = 0.0;`,
        `      dp[${g.idx(u, KG, s)}] = dh * zg * (1.0 - gg * gg);`,
        `      carry[${us}] = dh * (1.0 - zg);`,
        `      hps[${us}] = hp;`,
        `      rgs[${us}] = rg;`,
        '    }',
      ].join('\n');
    });
    const toRows = (blocks: number[]): string => g.eachUS((u, s) =>
      `    if (ok${u}) {\n${blocks.map((k) => `      dw[${s}u * cG + ${k * H}u + j${u}] = dp[${g.idx(u, k, s)}];`).join('\n')}\n    }`);
    // ts-cells gruResetBackward: ∂a_r = w h_{t−1} r(1 − r), carry += w r
    const reset = g.eachUS((u, s) => {
      const us = g.us(u, s);
      return `    {\n      let rg = rgs[${us}];\n      dp[${g.idx(u, KR, s)}] = wst[${us}] * hps[${us}] * rg * (1.0 - rg);\n      carry[${us}] = carry[${us}] + wst[${us}] * rg;\n    }`;
    });
    const store = g.eachUS((u, s) => {
      const lines = [`    if (${g.valid(u, s)}) {`, `      let gr = row${s} * cG + j${u};`];
      for (const k of [KZ, KR, KG]) lines.push(`      GATES[gr + ${k * H}u] = dp[${g.idx(u, k, s)}];`);
      lines.push('    }');
      return lines.join('\n');
    });
    return [
      cell,
      g.ln ? g.lnBackward('dp', KG) : '',
      toRows([KZ, KG]),
      '    workgroupBarrier();',
      // h_{−1} = 0: r does not reach the loss at t = 0 (∂a_r = 0) and no carry is needed
      '    if (t > 0u) {',
      // ∂(r ⊙ h_{t−1}) = ∂a_g U_gᵀ
      g.eachUS((u, s) => `      wst[${g.us(u, s)}] = 0.0;`),
      g.matvecUt('wst', 'dw', 2 * H, 3 * H),
      reset,
      toRows([KR]),
      '    workgroupBarrier();',
      // carry += [∂a_z, ∂a_r] [U_z, U_r]ᵀ
      g.matvecUt('carry', 'dw', 0, 2 * H),
      '    }',
      store,
      g.ln ? '' : '    workgroupBarrier();',
    ].join('\n');
  },

  tangentWorkgroup: (g: WgslGen) => `${g.wgRows('rw')}\n${g.wgRows('ww')}`,

  tangentPrelude: () => '',

  tangentStep(g: WgslGen): string {
    // ts-cells gruTangentGates: ∂z, and ∂(r ⊙ h_{t−1}) = ∂r h_{t−1} + r v_{t−1}
    const gates = g.eachUS((u, s) => {
      const us = g.us(u, s);
      const z = `pre[${g.idx(u, KZ, s)}]`, r = `pre[${g.idx(u, KR, s)}]`;
      const tz = `tpre[${g.idx(u, KZ, s)}]`, tr = `tpre[${g.idx(u, KR, s)}]`;
      return [
        '    {',
        `      let zg = sigmoid_s(${z});`,
        `      let rg = sigmoid_s(${r});`,
        `      let dr = rg * (1.0 - rg) * ${tr};`,
        `      ${tz} = zg * (1.0 - zg) * ${tz};`,
        `      ${z} = zg;`,
        `      let hp = hst[${us}];`,
        `      if (ok${u}) {`,
        `        rw[${s}u * cH + j${u}] = rg * hp;`,
        `        ww[${s}u * cH + j${u}] = dr * hp + rg * vst[${us}];`,
        '      }',
        '    }',
      ].join('\n');
    });
    // ts-cells gruTangentCell alongside gruCell
    const cell = g.eachUS((u, s) => {
      const us = g.us(u, s);
      return [
        '    {',
        `      let zg = pre[${g.idx(u, KZ, s)}];`,
        `      let dz = tpre[${g.idx(u, KZ, s)}];`,
        `      let gg = tanh_s(pre[${g.idx(u, KG, s)}]);`,
        `      let hp = hst[${us}];`,
        `      let vv = (1.0 - zg) * vst[${us}] + dz * (gg - hp) + zg * (1.0 - gg * gg) * tpre[${g.idx(u, KG, s)}];`,
        '      let hv = hp + zg * (gg - hp);',
        `      hst[${us}] = hv;`,
        `      vst[${us}] = vv;`,
        ...g.tangentWrites(u, s),
        '    }',
      ].join('\n');
    });
    return [
      g.inputPart([['pre', 'P'], ['tpre', 'DIR']], [KZ, KR, KG]),
      '    if (t > 0u) {',
      // ∂a_{z,r} = x ∂W + ∂b + v_{t−1} U_{z,r} + h_{t−1} ∂U_{z,r}
      g.matvecU([{ dst: 'pre', src: 'hw', buf: 'P' }, { dst: 'tpre', src: 'vw', buf: 'P' }, { dst: 'tpre', src: 'hw', buf: 'DIR' }], [KZ, KR]),
      '    }',
      gates,
      '    workgroupBarrier();',
      '    if (t > 0u) {',
      // ∂a_g = x ∂W_g + ∂b_g + ∂(r⊙h) U_g + (r⊙h) ∂U_g
      g.matvecU([{ dst: 'pre', src: 'rw', buf: 'P' }, { dst: 'tpre', src: 'ww', buf: 'P' }, { dst: 'tpre', src: 'rw', buf: 'DIR' }], [KG]),
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
    // dU_{z,r} = Σ_{t≥1} h_{t−1}ᵀ ∂a_{z,r}(t); dU_g = Σ_t (r ⊙ h_{t−1})ᵀ ∂a_g(t) (aux holds r ⊙ h_{t−1}, 0 at t = 0)
    const { red, enc, B, T, H, G, off } = b;
    red.gemmTN(enc, { rows: (T - 1) * B, m: H, n: 2 * H, a: b.hs, aOff: 0, lda: H, b: b.dpre, bOff: B * G, ldb: G, c: b.grads, cOff: off.U, ldc: G });
    red.gemmTN(enc, { rows: T * B, m: H, n: H, a: b.aux, aOff: 0, lda: H, b: b.dpre, bOff: 2 * H, ldb: G, c: b.grads, cOff: off.U + 2 * H, ldc: G });
  },
};
