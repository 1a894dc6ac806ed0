/**
 * WGSL of the single-gate GPU models const / shared / diag (SCIENCE.md §2,
 * §4.1, §5), generated per model with D, H, the gate width, LayerNorm, the
 * sequences per workgroup S and the threads per workgroup WG baked in.
 *
 * Persistent kernels (DESIGN.md §3): one dispatch runs all time steps; the
 * workgroup owns sequences b0 … b0+S−1 (b0 = S·workgroup) and keeps their
 * recurrent state in workgroup memory; thread `lid` owns the hidden units
 * j = lid + k·WG (k < J = ⌈H/WG⌉). Every weight row is read once per step
 * and used for all S sequences (coalesced: consecutive threads read
 * consecutive j). Sums over the hidden axis (LayerNorm statistics, the shared
 * gate's dot products, ŷ) are two-level workgroup reductions of S segments per
 * quantity. Sequences b ≥ B of the last workgroup and units j ≥ H compute on
 * zeros and write nothing, so every barrier is in uniform control flow.
 *
 * Caches and outputs are time-major [T][B][·] with the call's B (row
 * t·B + b), exactly the CPU model's layout (engine/models/gated.ts):
 *   HC  [T+1][B][H]  h_{t−1} in block t (block 0 = h_{−1} = 0), h_t in block t+1
 *   AC  [T][B][H]    h̃_t; backward overwrites it with ∂L/∂a_t
 *   LNC [T][B][H] x̂_t, then at IS_OFF: [T][B] 1/std (LayerNorm only)
 *   SC  [T][B][G]    s_t; backward overwrites it with ∂L/∂p_t (shared/diag)
 */
import { ACTIVATIONS, f32, LN_EPS, unrolledLoop, unrollFactor, workgroupReduction, type UnrolledIndex, type UnrollSetting } from './wgsl-lib';

export interface GatedKernelSpec {
  D: number;
  H: number;
  /** gate width: 0 const, 1 shared, H diag */
  G: number;
  ln: boolean;
  constS: number;
  /** sequences per workgroup */
  S: number;
  /** threads per workgroup (a power of two) */
  WG: number;
  /** parameter offsets in the flat layout (−1 when absent) */
  off: GatedOffsets;
  /** first float of 1/std in the LayerNorm cache (maxT·maxBatch·H) */
  isOff: number;
  /** unroll of the loops over D and H (wgsl-lib unrollFactor: a factor or 'auto'); undefined: DEFAULT_UNROLL */
  unroll?: UnrollSetting;
}

export interface GatedOffsets {
  Wx: number;
  bx: number;
  Wh: number;
  gain: number;
  beta: number;
  Ws: number;
  Us: number;
  bs: number;
  Wout: number;
  bout: number;
}

/** WGSL source plus what runtime.Kernel needs to build its binding layout. */
export interface KernelSource {
  code: string;
  nStorage: number;
  readOnly: number[];
  /** storage binding names in order (the buffers encode() must be given) */
  bindings: string[];
}

const J_OF = (s: GatedKernelSpec): number => Math.ceil(s.H / s.WG);

/** Workgroup-memory floats of each kernel (sizes S from the device limit). */
export function workgroupFloats(s: GatedKernelSpec): { forward: number; backward: number; tangent: number } {
  const { S, H, D, WG, G, ln } = s;
  const shared = G === 1, diag = G > 1;
  const fwdSegs = (ln ? 1 : 0) + (shared ? 1 : 0) + 1;
  const bwdSegs = (ln ? 2 : 0) + (shared ? 1 : 0);
  const tanSegs = (ln ? 2 : 0) + (shared ? 2 : 0);
  return {
    forward: S * H + S * D + fwdSegs * S * WG + (ln ? S * WG : 0),
    backward: 2 * S * H + (diag ? S * H : 0) + bwdSegs * S * WG,
    tangent: 2 * S * H + S * D + tanSegs * S * WG + (ln ? 2 * S * WG : 0),
  };
}

function header(s: GatedKernelSpec): string {
  const J = J_OF(s);
  const o = s.off;
  const consts: string[] = [
    `const D: u32 = ${s.D}u;`,
    `const H: u32 = ${s.H}u;`,
    `const HF: f32 = ${f32(s.H)};`,
    `const S: u32 = ${s.S}u;`,
    `const WG: u32 = ${s.WG}u;`,
    `const J: u32 = ${J}u;`,
    `const SJ: u32 = ${s.S * J}u;`,
    `const CONST_S: f32 = ${f32(s.constS)};`,
    `const LN_EPS: f32 = ${f32(LN_EPS)};`,
    `const IS_OFF: u32 = ${s.isOff}u;`,
  ];
  for (const [k, v] of Object.entries(o)) if (v >= 0) consts.push(`const O_${k.toUpperCase()}: u32 = ${v}u;`);
  return `${consts.join('\n')}
struct U { B: u32, T: u32, flags: u32, pad: u32 }
${ACTIVATIONS}`;
}

/** Storage bindings `name:r` (read-only) or `name:w`, then the uniform. */
function bindings(list: string[]): { decl: string; nStorage: number; readOnly: number[]; names: string[] } {
  const lines: string[] = [];
  const readOnly: number[] = [];
  const names: string[] = [];
  list.forEach((item, i) => {
    const [name, mode] = item.split(':') as [string, string];
    if (mode === 'r') readOnly.push(i);
    names.push(name);
    lines.push(`@group(0) @binding(${i}) var<storage, ${mode === 'r' ? 'read' : 'read_write'}> ${name}: array<f32>;`);
  });
  lines.push(`@group(0) @binding(${list.length}) var<uniform> u: U;`);
  return { decl: lines.join('\n'), nStorage: list.length, readOnly, names };
}

/**
 * The segments of the workgroup reduction `red`: one per named kind of
 * per-sequence sum (false entries skipped), S sequences each. Returns their
 * count, this thread's slot of a segment, and a segment's sum (its slot 0
 * once reduced).
 */
function segmented(red: string, kinds: (string | false)[]): { n: number; slot: SegmentRef; sum: SegmentRef } {
  const seg: Record<string, number> = {};
  let n = 0;
  for (const k of kinds) if (k) seg[k] = n++;
  const at = (kind: string, s: string): string => `${red}[(${seg[kind]}u * S + ${s}) * WG`;
  return { n, slot: (kind, s) => `${at(kind, s)} + lid]`, sum: (kind, s) => `${at(kind, s)}]` };
}

/** `kind`'s segment of sequence `s` in a segmented reduction (WGSL expression). */
type SegmentRef = (kind: string, s: string) => string;

/** Compensated (Neumaier) `sum[k] += x` on private arrays, inline (no pointer parameters). */
function neumaier(sum: string, comp: string, x: string): string {
  return `{ let x_ = ${x}; let t_ = ${sum} + x_;
          if (abs(${sum}) >= abs(x_)) { ${comp} += (${sum} - t_) + x_; } else { ${comp} += (x_ - t_) + ${sum}; }
          ${sum} = t_; }`;
}

/** The gate value s of sequence s, unit j at private index q (after the pre-activations). */
function gateValue(sp: GatedKernelSpec): string {
  return sp.G === 0 ? 'CONST_S' : sp.G === 1 ? 'sg[s]' : 'sigmoid_s(pac[q])';
}

/**
 * A loop over v = 0 … n−1 (D or H) of a thread's unit j, unrolled (wgsl-lib
 * unrolledLoop): the weights `weights` ([name, index → expression]) of the
 * unrolled indices are loaded first, then for every sequence s the updates
 * `perSeq(ix)` in index order, so each accumulator sums in the rolled order.
 * The accumulators `accs` ([array, element index]) are read into registers
 * `<array>_r` once per sequence and pass and written back after it, so a
 * private array the compiler keeps in local memory costs one load and store
 * per pass, not one per index. The updates are explicit fma() (as in the
 * gate-block kernels): no driver can contract the rolled and the unrolled
 * loop differently.
 */
function unitLoop(
  sp: GatedKernelSpec, v: string, n: 'D' | 'H', weights: ReadonlyArray<readonly [name: string, at: (i: string) => string]>,
  accs: ReadonlyArray<readonly [array: string, index: string]>, perSeq: (ix: UnrolledIndex) => string, seqLoadsPerIndex: number,
): string {
  // registers per unrolled index: its weights and, inside the loop over s, one sequence's loads
  const f = unrollFactor(weights.length + seqLoadsPerIndex, sp.unroll);
  const body = (ixs: UnrolledIndex[]): string => [
    'for (var s = 0u; s < S; s += 1u) {',
    ...accs.map(([a, at]) => `  var ${a}_r = ${a}[${at}];`),
    ...ixs.flatMap((ix) => perSeq(ix).split('\n').filter((l) => l.trim()).map((l) => `  ${l.trim()}`)),
    ...accs.map(([a, at]) => `  ${a}[${at}] = ${a}_r;`),
    '}',
  ].join('\n');
  return unrolledLoop(v, 0, n === 'D' ? sp.D : sp.H, f, '          ',
    ({ i, q }) => weights.map(([name, at]) => `let ${name}${q} = ${at(i)};`).join('\n'), body);
}

/** Entry point of every gated kernel: lane, the workgroup's first sequence b0, the call's B and T. */
function mainHead(sp: GatedKernelSpec): string {
  return `@compute @workgroup_size(${sp.WG})
fn main(@builtin(local_invocation_id) lv: vec3<u32>, @builtin(workgroup_id) wv: vec3<u32>) {
  let lid = lv.x;
  let b0 = wv.x * S;
  let B = u.B;
  let T = u.T;`;
}

/**
 * x_t of the workgroup's sequences into xs (zeros beyond B). Called for t = 0
 * before the loop, then for t + 1 once step t has read xs (after its first
 * reduction), so the step's closing barrier also publishes the next inputs.
 */
const STAGE_X_FN = /* wgsl */ `
fn stage_x(t: u32, B: u32, b0: u32, lid: u32) {
  for (var i = lid; i < S * D; i += WG) {
    let b = b0 + i / D;
    var xv = 0.0;
    if (b < B) { xv = X[(t * B + b) * D + i % D]; }
    xs[i] = xv;
  }
}`;

/**
 * Forward through time. mode 'train' writes the caches HC, AC, LNC, SC;
 * 'eval' writes, per uniform flags, hidden states (bit 0, O1) and the §4.1
 * terms (bit 1: leak into O2, rdiag into O3). Both write ŷ into Y.
 * ŷ_{t−1} is reduced together with step t's sums (one reduction less per step).
 */
export function forwardKernel(sp: GatedKernelSpec, mode: 'train' | 'eval'): KernelSource {
  const { G, ln } = sp;
  const shared = G === 1, diag = G > 1;
  const train = mode === 'train';
  const b = bindings([
    'X:r', 'P:r', 'Y:w',
    ...(train ? ['HC:w', 'AC:w', ...(ln ? ['LNC:w'] : []), ...(G > 0 ? ['SC:w'] : [])] : ['O1:w', 'O2:w', 'O3:w']),
  ]);
  const { n: nSeg, slot: r1, sum: r1sum } = segmented('r1', [ln && 'mean', shared && 'gate', 'y']);

  const code = /* wgsl */ `
${header(sp)}
${b.decl}
var<workgroup> hs: array<f32, ${sp.S * sp.H}>;
var<workgroup> xs: array<f32, ${sp.S * sp.D}>;
${workgroupReduction('r1', nSeg * sp.S, sp.WG)}
${ln ? workgroupReduction('r2', sp.S, sp.WG) : ''}
${STAGE_X_FN}

${mainHead(sp)}
  for (var i = lid; i < S * H; i += WG) { hs[i] = 0.0; }
  stage_x(0u, B, b0, lid);
  workgroupBarrier();
  var acc: array<f32, SJ>;     // a_t = x W_x + b_x + h W_h, then a − mean
  ${diag ? 'var pac: array<f32, SJ>;  // p_t = x W_s + b_s + h U_s' : ''}
  var mean: array<f32, S>;
  var istd: array<f32, S>;
  var sg: array<f32, S>;
  let bout = P[O_BOUT];
  for (var t = 0u; t < T; t += 1u) {
    // pre-activations: every weight load serves the S sequences
    for (var k = 0u; k < J; k += 1u) {
      let j = lid + k * WG;
      if (j < H) {
        for (var s = 0u; s < S; s += 1u) {
          acc[s * J + k] = P[O_BX + j];
          ${diag ? 'pac[s * J + k] = P[O_BS + j];' : ''}
        }
${unitLoop(sp, 'd', 'D', [['w', (d) => `P[O_WX + ${d} * H + j]`], ...(diag ? [['ws', (d: string) => `P[O_WS + ${d} * H + j]`] as const] : [])],
    unitAccs(diag, false), ({ i, q }) => `let xv${q} = xs[s * D + ${i}];
      acc_r = fma(xv${q}, w${q}, acc_r);
      ${diag ? `pac_r = fma(xv${q}, ws${q}, pac_r);` : ''}`, 1)}
        if (t > 0u) {
${unitLoop(sp, 'i', 'H', [['w', (i) => `P[O_WH + ${i} * H + j]`], ...(diag ? [['us', (i: string) => `P[O_US + ${i} * H + j]`] as const] : [])],
    unitAccs(diag, false), ({ i, q }) => `let hv${q} = hs[s * H + ${i}];
      acc_r = fma(hv${q}, w${q}, acc_r);
      ${diag ? `pac_r = fma(hv${q}, us${q}, pac_r);` : ''}`, 1)}
        }
      }
    }
    // per-sequence sums: LayerNorm mean, the shared gate's dot products, ŷ_{t−1} = h_{t−1}·W_out
    for (var s = 0u; s < S; s += 1u) {
      var pm = 0.0;
      var pg = 0.0;
      var py = 0.0;
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        if (j < H) {
          let hv = hs[s * H + j];
          pm += acc[s * J + k];
          pg += hv * ${shared ? 'P[O_US + j]' : '0.0'};
          py += hv * P[O_WOUT + j];
        }
      }
      ${shared ? 'for (var d = lid; d < D; d += WG) { pg += xs[s * D + d] * P[O_WS + d]; }' : ''}
      ${ln ? `${r1('mean', 's')} = pm;` : ''}
      ${shared ? `${r1('gate', 's')} = pg;` : ''}
      ${r1('y', 's')} = py;
    }
    r1_sum(lid);
    if (t + 1u < T) { stage_x(t + 1u, B, b0, lid); }
    if (t > 0u) {
      for (var s = lid; s < S; s += WG) {
        if (b0 + s < B) { Y[(t - 1u) * B + b0 + s] = ${r1sum('y', 's')} + bout; }
      }
    }
    for (var s = 0u; s < S; s += 1u) {
      ${ln ? `mean[s] = ${r1sum('mean', 's')} / HF;` : ''}
      ${shared ? `sg[s] = sigmoid_s(${r1sum('gate', 's')} + P[O_BS]);` : ''}
    }
    ${ln ? /* wgsl */ `
    // LayerNorm: biased variance of a over the H units (two-pass: centred first)
    for (var s = 0u; s < S; s += 1u) {
      var p2 = 0.0;
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        if (j < H) {
          let dv = acc[s * J + k] - mean[s];
          acc[s * J + k] = dv;
          p2 += dv * dv;
        }
      }
      r2[s * WG + lid] = p2;
    }
    r2_sum(lid);
    for (var s = 0u; s < S; s += 1u) { istd[s] = 1.0 / sqrt(r2[s * WG] / HF + LN_EPS); }` : ''}
    // cell: h̃ = tanh(LN(a)), h_t = h_{t−1} + s (h̃ − h_{t−1}); each thread updates its own units only
    for (var k = 0u; k < J; k += 1u) {
      let j = lid + k * WG;
      if (j < H) {
        ${ln ? 'let gj = P[O_GAIN + j];\n        let bj = P[O_BETA + j];' : ''}
        for (var s = 0u; s < S; s += 1u) {
          let q = s * J + k;
          let b = b0 + s;
          let row = t * B + b;
          ${ln ? 'let xh = acc[q] * istd[s];\n          let ht = tanh_s(gj * xh + bj);' : 'let ht = tanh_s(acc[q]);'}
          let sv = ${gateValue(sp)};
          let hp = hs[s * H + j];
          let hn = hp + sv * (ht - hp);
          hs[s * H + j] = hn;
          if (b < B) {
${train ? trainWrites(sp) : evalWrites(sp)}
          }
        }
      }
    }
    workgroupBarrier();
  }
  // ŷ_{T−1}
  for (var s = 0u; s < S; s += 1u) {
    var py = 0.0;
    for (var k = 0u; k < J; k += 1u) {
      let j = lid + k * WG;
      if (j < H) { py += hs[s * H + j] * P[O_WOUT + j]; }
    }
    ${r1('y', 's')} = py;
  }
  r1_sum(lid);
  for (var s = lid; s < S; s += WG) {
    if (b0 + s < B && T > 0u) { Y[(T - 1u) * B + b0 + s] = ${r1sum('y', 's')} + bout; }
  }
}
`;
  return { code, nStorage: b.nStorage, readOnly: b.readOnly, bindings: b.names };
}

function trainWrites(sp: GatedKernelSpec): string {
  const lines = [
    'HC[(row + B) * H + j] = hn;',
    'AC[row * H + j] = ht;',
  ];
  if (sp.ln) lines.push('LNC[row * H + j] = xh;', 'if (j == 0u) { LNC[IS_OFF + row] = istd[s]; }');
  if (sp.G > 1) lines.push('SC[row * H + j] = sv;');
  if (sp.G === 1) lines.push('if (j == 0u) { SC[row] = sv; }');
  return lines.map((l) => `            ${l}`).join('\n');
}

/** §4.1: leak = 1 − s, rdiag = s(1 − h̃²) W_h[j][j] + (h̃ − h_{t−1}) s(1 − s) ũ_s[j]. */
function evalWrites(sp: GatedKernelSpec): string {
  const us = sp.G === 1 ? 'P[O_US + j]' : sp.G > 1 ? 'P[O_US + j * H + j]' : '';
  const gatePart = sp.G > 0 ? ` + (ht - hp) * sv * (1.0 - sv) * ${us}` : '';
  return `            if ((u.flags & 1u) != 0u) { O1[row * H + j] = hn; }
            if ((u.flags & 2u) != 0u) {
              O2[row * H + j] = 1.0 - sv;
              O3[row * H + j] = sv * (1.0 - ht * ht) * P[O_WH + j * H + j]${gatePart};
            }`;
}

/**
 * Backpropagation through time over the training caches (T−1 … 0), the CPU's
 * gatedBackward + layerNormBackward + carry products per step:
 *   dh = carry + dŷ_t W_out[j];  ∂L/∂LN(a) = dh s (1 − h̃²)
 *   ∂L/∂a = LayerNorm backward of it (or itself) → AC
 *   ∂L/∂p = dh (h̃ − h_{t−1}) s(1−s) (diag) | Σ_j dh (h̃ − h_{t−1}) · s(1−s) (shared) → SC
 *   carry ← dh (1 − s) + ∂L/∂a · W_hᵀ + ∂L/∂p · U_sᵀ   (WT holds W_hᵀ then U_sᵀ)
 * The LayerNorm gain and bias gradients Σ ∂L/∂LN ⊙ x̂, Σ ∂L/∂LN are summed
 * (compensated) per thread over the workgroup's rows and written per
 * workgroup to LNP [groups][2H]; the model sums those rows (colSums).
 */
export function backwardKernel(sp: GatedKernelSpec): KernelSource {
  const { G, ln } = sp;
  const shared = G === 1, diag = G > 1;
  const b = bindings([
    'P:r', 'WT:r', 'HC:r', 'AC:w', ...(ln ? ['LNC:r'] : []), ...(G > 0 ? ['SC:w'] : []), 'DY:r', ...(ln ? ['LNP:w'] : []),
  ]);
  const { n: nSeg, slot: rr, sum: rrSum } = segmented('rd', [ln && 'm1', ln && 'm2', shared && 'ds']);
  const sv = G === 0 ? 'CONST_S' : G === 1 ? 'sbv' : 'SC[row * H + j]';

  const code = /* wgsl */ `
${header(sp)}
${b.decl}
var<workgroup> carry: array<f32, ${sp.S * sp.H}>;
var<workgroup> dAs: array<f32, ${sp.S * sp.H}>;
${diag ? `var<workgroup> dPs: array<f32, ${sp.S * sp.H}>;` : ''}
${nSeg > 0 ? workgroupReduction('rd', nSeg * sp.S, sp.WG) : ''}

${mainHead(sp)}
  for (var i = lid; i < S * H; i += WG) { carry[i] = 0.0; }
  var c0: array<f32, SJ>;   // dh (1 − s)
  var dl: array<f32, SJ>;   // ∂L/∂LN(a)
  ${ln ? 'var xh: array<f32, SJ>;\n  var isv: array<f32, S>;\n  var gS: array<f32, J>;\n  var gC: array<f32, J>;\n  var bS: array<f32, J>;\n  var bC: array<f32, J>;' : ''}
  ${shared ? 'var sb: array<f32, S>;\n  var dps: array<f32, S>;' : ''}
  workgroupBarrier();
  for (var tt = 0u; tt < T; tt += 1u) {
    let t = T - 1u - tt;
    for (var s = 0u; s < S; s += 1u) {
      let b = b0 + s;
      let row = t * B + b;
      let valid = b < B;
      var dy = 0.0;
      ${ln ? 'var iv = 0.0;' : ''}
      ${shared ? 'var sbv = 0.0;' : ''}
      if (valid) {
        dy = DY[row];
        ${ln ? 'iv = LNC[IS_OFF + row];' : ''}
        ${shared ? 'sbv = SC[row];' : ''}
      }
      ${ln ? 'isv[s] = iv;' : ''}
      ${shared ? 'sb[s] = sbv;' : ''}
      var pm1 = 0.0;
      var pm2 = 0.0;
      var pds = 0.0;
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        let q = s * J + k;
        if (j < H) {
          var c = 0.0;
          var l = 0.0;
          ${ln ? 'var x = 0.0;' : ''}
          ${diag ? 'var dp = 0.0;' : ''}
          if (valid) {
            let ht = AC[row * H + j];
            let hp = HC[row * H + j];
            let sv = ${sv};
            let dhv = carry[s * H + j] + dy * P[O_WOUT + j];
            l = dhv * sv * (1.0 - ht * ht);
            c = dhv * (1.0 - sv);
            ${diag ? 'dp = dhv * (ht - hp) * sv * (1.0 - sv);\n            SC[row * H + j] = dp;' : ''}
            ${shared ? 'pds += dhv * (ht - hp);' : ''}
            ${ln ? `x = LNC[row * H + j];
            let gl = P[O_GAIN + j] * l;
            pm1 += gl;
            pm2 += gl * x;
            ${neumaier('gS[k]', 'gC[k]', 'l * x')}
            ${neumaier('bS[k]', 'bC[k]', 'l')}` : ''}
          }
          c0[q] = c;
          dl[q] = l;
          ${ln ? 'xh[q] = x;' : ''}
          ${diag ? 'dPs[s * H + j] = dp;' : ''}
        }
      }
      ${ln ? `${rr('m1', 's')} = pm1;\n      ${rr('m2', 's')} = pm2;` : ''}
      ${shared ? `${rr('ds', 's')} = pds;` : ''}
    }
    ${nSeg > 0 ? 'rd_sum(lid);' : ''}
    ${shared ? `// every invocation read s_t = SC[row] above; lid 0 overwrites it with ∂L/∂p_t below:
    // workgroupBarrier orders workgroup memory only, so order the storage accesses
    storageBarrier();` : ''}
    for (var s = 0u; s < S; s += 1u) {
      let b = b0 + s;
      let row = t * B + b;
      ${ln ? `let m1 = ${rrSum('m1', 's')} / HF;\n      let m2 = ${rrSum('m2', 's')} / HF;` : ''}
      ${shared ? `dps[s] = ${rrSum('ds', 's')} * sb[s] * (1.0 - sb[s]);
      if (lid == 0u && b < B) { SC[row] = dps[s]; }` : ''}
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        if (j < H) {
          let q = s * J + k;
          ${ln ? 'let dA = isv[s] * (P[O_GAIN + j] * dl[q] - m1 - xh[q] * m2);' : 'let dA = dl[q];'}
          dAs[s * H + j] = dA;
          if (b < B) { AC[row * H + j] = dA; }
        }
      }
    }
    workgroupBarrier();
    if (t > 0u) {
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        if (j < H) {
          var acc: array<f32, S>;
          for (var s = 0u; s < S; s += 1u) { acc[s] = c0[s * J + k]${shared ? ' + dps[s] * P[O_US + j]' : ''}; }
${unitLoop(sp, 'i', 'H', [['w', (i) => `WT[${i} * H + j]`], ...(diag ? [['uw', (i: string) => `WT[H * H + ${i} * H + j]`] as const] : [])],
    [['acc', 's']], ({ i, q }) => `acc_r = fma(dAs[s * H + ${i}], w${q}, acc_r);${diag ? `\nacc_r = fma(dPs[s * H + ${i}], uw${q}, acc_r);` : ''}`, diag ? 2 : 1)}
          for (var s = 0u; s < S; s += 1u) { carry[s * H + j] = acc[s]; }
        }
      }
    }
    workgroupBarrier();
  }
  ${ln ? `for (var k = 0u; k < J; k += 1u) {
    let j = lid + k * WG;
    if (j < H) {
      LNP[wv.x * 2u * H + j] = gS[k] + gC[k];
      LNP[wv.x * 2u * H + H + j] = bS[k] + bC[k];
    }
  }` : ''}
}
`;
  return { code, nStorage: b.nStorage, readOnly: b.readOnly, bindings: b.names };
}

/** The per-(sequence, unit) accumulators of the forward (acc, pac) or tangent (+ dac, dpac) unit loops. */
function unitAccs(diag: boolean, tangent: boolean): Array<[string, string]> {
  const names = ['acc', ...(tangent ? ['dac'] : []), ...(diag ? ['pac', ...(tangent ? ['dpac'] : [])] : [])];
  return names.map((a) => [a, 's * J + k']);
}

/**
 * The tangent pass's weights of one unit loop: w, dw (W and its direction
 * from offset `main`), and for diag ws, dws (the gate's from `gate`).
 */
function tangentWeights(diag: boolean, main: string, gate: string): Array<[string, (i: string) => string]> {
  const at = (buf: string, off: string) => (i: string): string => `${buf}[${off} + ${i} * H + j]`;
  return [
    ['w', at('P', main)], ['dw', at('DIR', main)],
    ...(diag ? [['ws', at('P', gate)], ['dws', at('DIR', gate)]] as Array<[string, (i: string) => string]> : []),
  ];
}

/**
 * Forward recurrence with its tangent (§5): along a direction θ̇ (DIR, same
 * layout as P), v_t = ∂h_t/∂θ·θ̇:
 *   ȧ = x Ẇ_x + ḃ_x + h_{t−1} Ẇ_h + v_{t−1} W_h, through LayerNorm's tangent,
 *   ṗ = x Ẇ_s + ḃ_s + h_{t−1} U̇_s + v_{t−1} U_s,
 *   v_t = (1 − s) v_{t−1} + s (1 − h̃²) ẏ + s(1 − s) ṗ (h̃ − h_{t−1}).
 * Writes v into O2 and, with flag bit 0, h_t into O1.
 */
export function tangentKernel(sp: GatedKernelSpec): KernelSource {
  const { G, ln } = sp;
  const shared = G === 1, diag = G > 1;
  const b = bindings(['X:r', 'P:r', 'DIR:r', 'O1:w', 'O2:w']);
  const { n: nSeg, slot: r1, sum: r1sum } = segmented('r1', [ln && 'a', ln && 'da', shared && 'p', shared && 'dp']);
  const dsv = G === 0 ? '0.0' : G === 1 ? 'dsg[s]' : 'sv * (1.0 - sv) * dpac[q]';

  const code = /* wgsl */ `
${header(sp)}
${b.decl}
var<workgroup> hs: array<f32, ${sp.S * sp.H}>;
var<workgroup> vs: array<f32, ${sp.S * sp.H}>;
var<workgroup> xs: array<f32, ${sp.S * sp.D}>;
${nSeg > 0 ? workgroupReduction('r1', nSeg * sp.S, sp.WG) : ''}
${ln ? workgroupReduction('r2', 2 * sp.S, sp.WG) : ''}
${STAGE_X_FN}

${mainHead(sp)}
  for (var i = lid; i < S * H; i += WG) { hs[i] = 0.0; vs[i] = 0.0; }
  stage_x(0u, B, b0, lid);
  workgroupBarrier();
  var acc: array<f32, SJ>;   // a, then a − mean
  var dac: array<f32, SJ>;   // ȧ
  ${diag ? 'var pac: array<f32, SJ>;\n  var dpac: array<f32, SJ>;' : ''}
  var mean: array<f32, S>;
  var dmean: array<f32, S>;
  var istd: array<f32, S>;
  var m2: array<f32, S>;
  var sg: array<f32, S>;
  var dsg: array<f32, S>;
  for (var t = 0u; t < T; t += 1u) {
    for (var k = 0u; k < J; k += 1u) {
      let j = lid + k * WG;
      if (j < H) {
        for (var s = 0u; s < S; s += 1u) {
          acc[s * J + k] = P[O_BX + j];
          dac[s * J + k] = DIR[O_BX + j];
          ${diag ? 'pac[s * J + k] = P[O_BS + j];\n          dpac[s * J + k] = DIR[O_BS + j];' : ''}
        }
${unitLoop(sp, 'd', 'D', tangentWeights(diag, 'O_WX', 'O_WS'),
    unitAccs(diag, true), ({ i, q }) => `let xv${q} = xs[s * D + ${i}];
      acc_r = fma(xv${q}, w${q}, acc_r);
      dac_r = fma(xv${q}, dw${q}, dac_r);
      ${diag ? `pac_r = fma(xv${q}, ws${q}, pac_r);\n      dpac_r = fma(xv${q}, dws${q}, dpac_r);` : ''}`, 1)}
        if (t > 0u) {
${unitLoop(sp, 'i', 'H', tangentWeights(diag, 'O_WH', 'O_US'),
    unitAccs(diag, true), ({ i, q }) => `let hv${q} = hs[s * H + ${i}];
      let vv${q} = vs[s * H + ${i}];
      acc_r = fma(hv${q}, w${q}, acc_r);
      dac_r = fma(vv${q}, w${q}, fma(hv${q}, dw${q}, dac_r));
      ${diag ? `pac_r = fma(hv${q}, ws${q}, pac_r);\n      dpac_r = fma(vv${q}, ws${q}, fma(hv${q}, dws${q}, dpac_r));` : ''}`, 2)}
        }
      }
    }
    ${nSeg > 0 ? /* wgsl */ `
    for (var s = 0u; s < S; s += 1u) {
      var pa = 0.0;
      var pda = 0.0;
      var pp = 0.0;
      var pdp = 0.0;
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        if (j < H) {
          pa += acc[s * J + k];
          pda += dac[s * J + k];
          ${shared ? `let hv = hs[s * H + j];
          pp += hv * P[O_US + j];
          pdp += hv * DIR[O_US + j] + vs[s * H + j] * P[O_US + j];` : ''}
        }
      }
      ${shared ? `for (var d = lid; d < D; d += WG) {
        pp += xs[s * D + d] * P[O_WS + d];
        pdp += xs[s * D + d] * DIR[O_WS + d];
      }` : ''}
      ${ln ? `${r1('a', 's')} = pa;\n      ${r1('da', 's')} = pda;` : ''}
      ${shared ? `${r1('p', 's')} = pp;\n      ${r1('dp', 's')} = pdp;` : ''}
    }
    r1_sum(lid);
    if (t + 1u < T) { stage_x(t + 1u, B, b0, lid); }
    for (var s = 0u; s < S; s += 1u) {
      ${ln ? `mean[s] = ${r1sum('a', 's')} / HF;\n      dmean[s] = ${r1sum('da', 's')} / HF;` : ''}
      ${shared ? `sg[s] = sigmoid_s(${r1sum('p', 's')} + P[O_BS]);
      dsg[s] = sg[s] * (1.0 - sg[s]) * (${r1sum('dp', 's')} + DIR[O_BS]);` : ''}
    }` : 'workgroupBarrier();\n    if (t + 1u < T) { stage_x(t + 1u, B, b0, lid); }'}
    ${ln ? /* wgsl */ `
    // LayerNorm: variance, and mean(ȧ ⊙ x̂) = (1/std)·mean(ȧ (a − mean))
    for (var s = 0u; s < S; s += 1u) {
      var p2 = 0.0;
      var p3 = 0.0;
      for (var k = 0u; k < J; k += 1u) {
        let j = lid + k * WG;
        if (j < H) {
          let dv = acc[s * J + k] - mean[s];
          acc[s * J + k] = dv;
          p2 += dv * dv;
          p3 += dac[s * J + k] * dv;
        }
      }
      r2[s * WG + lid] = p2;
      r2[(S + s) * WG + lid] = p3;
    }
    r2_sum(lid);
    for (var s = 0u; s < S; s += 1u) {
      istd[s] = 1.0 / sqrt(r2[s * WG] / HF + LN_EPS);
      m2[s] = istd[s] * r2[(S + s) * WG] / HF;
    }` : ''}
    for (var k = 0u; k < J; k += 1u) {
      let j = lid + k * WG;
      if (j < H) {
        ${ln ? 'let gj = P[O_GAIN + j];\n        let bj = P[O_BETA + j];\n        let dgj = DIR[O_GAIN + j];\n        let dbj = DIR[O_BETA + j];' : ''}
        for (var s = 0u; s < S; s += 1u) {
          let q = s * J + k;
          let b = b0 + s;
          ${ln ? `let xh = acc[q] * istd[s];
          let dxh = istd[s] * (dac[q] - dmean[s] - xh * m2[s]);
          let ht = tanh_s(gj * xh + bj);
          let dy = gj * dxh + dgj * xh + dbj;` : `let ht = tanh_s(acc[q]);
          let dy = dac[q];`}
          let sv = ${gateValue(sp)};
          let ds = ${dsv};
          let hp = hs[s * H + j];
          let vp = vs[s * H + j];
          let hn = hp + sv * (ht - hp);
          let vn = (1.0 - sv) * vp + sv * (1.0 - ht * ht) * dy + ds * (ht - hp);
          hs[s * H + j] = hn;
          vs[s * H + j] = vn;
          if (b < B) {
            let row = t * B + b;
            O2[row * H + j] = vn;
            if ((u.flags & 1u) != 0u) { O1[row * H + j] = hn; }
          }
        }
      }
    }
    workgroupBarrier();
  }
}
`;
  return { code, nStorage: b.nStorage, readOnly: b.readOnly, bindings: b.names };
}

/** WT = [W_hᵀ, U_sᵀ (diag)]: WT[m·H² + q·H + j] = M_m[j][q], so backward's carry reads rows contiguously. */
export function transposeKernel(sp: GatedKernelSpec): KernelSource {
  const b = bindings(['P:r', 'WT:w']);
  const n = (sp.G > 1 ? 2 : 1) * sp.H * sp.H;
  const code = /* wgsl */ `
${header(sp)}
${b.decl}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) ng: vec3<u32>) {
  let idx = gid.x + gid.y * ng.x * 64u;
  if (idx >= ${n}u) { return; }
  let m = idx / (H * H);
  let r = idx % (H * H);
  let q = r / H;
  let j = r % H;
  ${sp.G > 1 ? 'let base = select(O_WH, O_US, m == 1u);' : 'let base = O_WH + m * 0u;'}
  WT[idx] = P[base + j * H + q];
}
`;
  return { code, nStorage: b.nStorage, readOnly: b.readOnly, bindings: b.names };
}

/** Floats of the transposed-weights buffer. */
export function transposedFloats(sp: GatedKernelSpec): number {
  return (sp.G > 1 ? 2 : 1) * sp.H * sp.H;
}
