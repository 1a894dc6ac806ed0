/**
 * WGSL generation shared by the persistent kernels of the gate-block
 * architectures, LSTM and GRU (DESIGN.md §3; the math is SCIENCE.md §2, §4.1,
 * §5 and the CPU reference kernels/ts-cells.ts, ts-layernorm.ts).
 *
 * Kernel shape: one workgroup owns S sequences b0 … b0+S−1 (b0 = wid·S) and
 * loops over all time steps; its WG threads each own the hidden units
 * j = lid + u·WG (u < UPT = ⌈H/WG⌉). Per (unit, sequence) values live in
 * private arrays indexed by compile-time constants (registers):
 *   gate arrays  [UPT][nG][S]  index idx(u, k, s) = (u·nG + k)·S + s
 *   unit arrays  [UPT][S]      index us(u, s)     = u·S + s
 * The recurrent state needed by every thread (h_{t−1}, v_{t−1}, r⊙h, …) is
 * broadcast through workgroup arrays [S][H] (sequence s at s·H). Units
 * j ≥ H (when WG ∤ H) compute on the clamped column jc = min(j, H−1) and never
 * write or contribute to a sum; sequences b ≥ B compute on zeros and never
 * write. No storage location is read by one invocation and written by
 * another (workgroupBarrier does not order storage memory): where a kernel
 * overwrites a buffer it reads (backward's gates), units j ≥ H read zeros
 * instead of the clamped column. Every barrier is in uniform control flow (the loops run over the
 * uniform u.T; all branches around barriers depend on t only).
 *
 * The generated code is unrolled over (u, k, s) in TypeScript so the
 * per-thread arrays are only ever indexed by constants; the loops over the
 * input size D, the hidden size H and the gate width G stay WGSL loops,
 * unrolled by `unroll` indices (wgsl-lib unrolledLoop: loads first, then the
 * FMAs in index order, bit-identical to the rolled loop).
 */
import type { GateBlockOffsets } from '../../engine/models/gate-blocks';
import { ACTIVATIONS, f32, LN_EPS, unrolledLoop, unrollFactor, workgroupReduction, type UnrolledIndex, type UnrollSetting } from './wgsl-lib';

export interface KernelShape {
  D: number;
  H: number;
  /** gates */
  nG: number;
  S: number;
  WG: number;
  ln: boolean;
  off: GateBlockOffsets;
  /** float offset of the per-row 1/std in the LayerNorm cache (after the [rows][H] x̂) */
  isOff: number;
  /** unroll of the loops over D, H and G (wgsl-lib unrollFactor: a factor or 'auto'); undefined: DEFAULT_UNROLL */
  unroll?: UnrollSetting;
}

export type Access = 'read' | 'rw';

export interface KernelSpec {
  /** storage bindings 0 … n−1, in order */
  bindings: Array<[name: string, access: Access]>;
  /** workgroup declarations (arrays, reductions) */
  workgroup: string;
  /** per-thread set-up before the time loop */
  prelude: string;
  /** the body of one time step: `t` and the rows `row{s}` = t·B + bq{s} are defined */
  step: string;
  /** loop t = T−1 … 0 (backward) instead of 0 … T−1 */
  reverse?: boolean;
  /** after the time loop */
  epilogue?: string;
}

export class WgslGen {
  readonly D: number;
  readonly H: number;
  readonly nG: number;
  readonly G: number;
  readonly S: number;
  readonly WG: number;
  /** hidden units per thread */
  readonly UPT: number;
  readonly ln: boolean;
  readonly off: GateBlockOffsets;
  readonly isOff: number;
  readonly unroll: UnrollSetting | undefined;

  constructor(k: KernelShape) {
    this.D = k.D;
    this.H = k.H;
    this.nG = k.nG;
    this.G = k.nG * k.H;
    this.S = k.S;
    this.WG = k.WG;
    this.UPT = Math.ceil(k.H / k.WG);
    this.ln = k.ln;
    this.off = k.off;
    this.isOff = k.isOff;
    this.unroll = k.unroll;
  }

  /** size of a gate array [UPT][nG][S] */
  get nGate(): number {
    return this.UPT * this.nG * this.S;
  }

  /** size of a unit array [UPT][S] */
  get nUnit(): number {
    return this.UPT * this.S;
  }

  idx(u: number, k: number, s: number): number {
    return (u * this.nG + k) * this.S + s;
  }

  us(u: number, s: number): number {
    return u * this.S + s;
  }

  eachU(f: (u: number) => string): string {
    const out: string[] = [];
    for (let u = 0; u < this.UPT; u++) out.push(f(u));
    return out.join('\n');
  }

  eachS(f: (s: number) => string): string {
    const out: string[] = [];
    for (let s = 0; s < this.S; s++) out.push(f(s));
    return out.join('\n');
  }

  eachUS(f: (u: number, s: number) => string): string {
    const out: string[] = [];
    for (let u = 0; u < this.UPT; u++) for (let s = 0; s < this.S; s++) out.push(f(u, s));
    return out.join('\n');
  }

  /** The complete kernel source. */
  kernel(spec: KernelSpec): string {
    const { D, H, G, S, WG, off } = this;
    const decl = spec.bindings.map(([name, access], i) =>
      `@group(0) @binding(${i}) var<storage, ${access === 'read' ? 'read' : 'read_write'}> ${name}: array<f32>;`);
    const t = spec.reverse ? 'u.T - 1u - tt' : 'tt';
    return /* wgsl */ `
const cD = ${D}u;
const cH = ${H}u;
const cG = ${G}u;
const cS = ${S}u;
const cWG = ${WG}u;
const fH = ${f32(H)};
const EPS = ${f32(LN_EPS)};
const OFF_W = ${off.W}u;
const OFF_B = ${off.b}u;
const OFF_U = ${off.U}u;
const OFF_LNG = ${Math.max(0, off.lnGain)}u;
const OFF_LNB = ${Math.max(0, off.lnBias)}u;
const OFF_WOUT = ${off.Wout}u;
const OFF_BOUT = ${off.bout}u;
const IS_OFF = ${this.isOff}u;
${ACTIVATIONS}
struct Uni { B: u32, T: u32, rec: u32, hid: u32 }
${decl.join('\n')}
@group(0) @binding(${spec.bindings.length}) var<uniform> u: Uni;
${spec.workgroup}
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lid3: vec3<u32>, @builtin(workgroup_id) wid3: vec3<u32>) {
  let lid = lid3.x;
  let wid = wid3.x;
  let b0 = wid * cS;
${this.eachU((u) => `  let j${u} = lid + ${u * WG}u;\n  let jc${u} = min(j${u}, cH - 1u);\n  let ok${u} = j${u} < cH;`)}
${this.eachS((s) => `  let bq${s} = b0 + ${s}u;\n  let vb${s} = bq${s} < u.B;`)}
${spec.prelude}
  for (var tt = 0u; tt < u.T; tt = tt + 1u) {
    let t = ${t};
${this.eachS((s) => `    let row${s} = t * u.B + bq${s};`)}
${spec.step}
  }
${spec.epilogue ?? ''}
}
`;
  }

  /** `var<workgroup> name: array<f32, S·H>` (one [H] row per sequence). */
  wgRows(name: string): string {
    return `var<workgroup> ${name}: array<f32, ${this.S * this.H}>;`;
  }

  /** A workgroup reduction `name` with `segs` segments (wgsl-lib workgroupReduction). */
  reduction(name: string, segs: number): string {
    return workgroupReduction(name, segs, this.WG);
  }

  /** Reductions with `segs` segments each: `redA`, `redB`. */
  reductions(segs: number): string {
    return this.reduction('redA', segs) + this.reduction('redB', segs);
  }

  /** Zero a workgroup [S][H] array (all threads), no barrier. */
  zeroRows(name: string): string {
    return `  for (var q = lid; q < ${this.S * this.H}u; q = q + cWG) { ${name}[q] = 0.0; }`;
  }

  /** Per-thread copies of P[base + jc{u}] as `${name}{u}`. */
  loadUnits(name: string, buf: string, base: string): string {
    return this.eachU((u) => `  let ${name}${u} = ${buf}[${base} + jc${u}];`);
  }

  /** The diagonal of gate block k of U (§4.1): `${name}{u}` = U[jc·G + k·H + jc]. */
  loadDiagU(name: string, k: number): string {
    return this.eachU((u) => `  let ${name}${u} = P[OFF_U + jc${u} * cG + ${k * this.H}u + jc${u}];`);
  }

  /**
   * Input part of the pre-activations of the gate blocks `blocks`:
   * dst[idx] = b + x_t W for each (buf → dst) pair (same x loads), §2.
   */
  inputPart(pairs: Array<[dst: string, buf: string]>, blocks: number[]): string {
    const H = this.H;
    const lines: string[] = [];
    for (const [dst, buf] of pairs) {
      for (const k of blocks) {
        lines.push(this.eachU((u) => {
          const w = `${buf}[OFF_B + ${k * H}u + jc${u}]`;
          return this.eachS((s) => `    ${dst}[${this.idx(u, k, s)}] = ${w};`);
        }));
      }
    }
    const f = unrollFactor(this.S + pairs.length * blocks.length * this.UPT, this.unroll);
    lines.push(unrolledLoop('d', 0, this.D, f, '    ',
      ({ i, q }) => [
        this.eachS((s) => `var x${s}${q} = 0.0;\nif (vb${s}) { x${s}${q} = X[row${s} * cD + ${i}]; }`),
        `let wb${q} = OFF_W + ${i} * cG;`,
        ...pairs.flatMap(([, buf], p) => blocks.map((k) => this.eachU((u) => `let w${p}_${k}_${u}${q} = ${buf}[wb${q} + ${k * H}u + jc${u}];`))),
      ].join('\n'),
      (ixs) => ixs.map(({ q }) => pairs.map(([dst], p) => blocks.map((k) => this.eachU((u) => this.eachS((s) => {
        const at = `${dst}[${this.idx(u, k, s)}]`;
        return `${at} = fma(x${s}${q}, w${p}_${k}_${u}${q}, ${at});`;
      }))).join('\n')).join('\n')).join('\n'),
    ));
    return lines.join('\n');
  }

  /**
   * Recurrent part, gate blocks `blocks`: for each term, dst[idx(u,k,s)] +=
   * Σ_i src[s·H + i] · buf[U(i, k·H + j)] (U from P or the direction DIR).
   * Threads with consecutive j read consecutive weights; each weight load
   * serves all S sequences. Unrolled over i (loads first; wgsl-lib).
   */
  matvecU(terms: Array<{ dst: string; src: string; buf: string }>, blocks: number[]): string {
    const H = this.H;
    const srcs = [...new Set(terms.map((t) => t.src))];
    const bufs = [...new Set(terms.map((t) => t.buf))];
    const f = unrollFactor(this.S * srcs.length + blocks.length * this.UPT * bufs.length, this.unroll);
    const loads = ({ i, q }: UnrolledIndex): string => [
      ...srcs.map((src) => this.eachS((s) => `let ${src}_${s}${q} = ${src}[${s}u * cH + ${i}];`)),
      `let ub${q} = OFF_U + ${i} * cG;`,
      ...blocks.map((k) => this.eachU((u) => bufs.map((buf) => `let w${buf}_${k}_${u}${q} = ${buf}[ub${q} + ${k * H}u + jc${u}];`).join('\n'))),
    ].join('\n');
    // per accumulator, the terms in the order of the rolled loop: i, then block, unit, term, sequence
    const body = (ixs: UnrolledIndex[]): string => ixs.map(({ q }) => blocks.map((k) => this.eachU((u) => terms.map((term) => this.eachS((s) => {
      const at = `${term.dst}[${this.idx(u, k, s)}]`;
      return `${at} = fma(${term.src}_${s}${q}, w${term.buf}_${k}_${u}${q}, ${at});`;
    })).join('\n'))).join('\n')).join('\n');
    return unrolledLoop('i', 0, H, f, '    ', loads, body);
  }

  /**
   * dst[us(u,s)] += Σ_{q0 ≤ q < q1} src[s·G + q] · UT[q·H + j]: the carry
   * ∂L/∂h (or ∂(r⊙h)) from the ∂L/∂pre-activations of a workgroup row,
   * through the transposed U (UT [G][H], contiguous in j). Unrolled over q.
   */
  matvecUt(dst: string, src: string, q0: number, q1: number): string {
    const f = unrollFactor(this.S + this.UPT, this.unroll);
    return unrolledLoop('q', q0, q1, f, '    ',
      ({ i, q }) => [
        this.eachS((s) => `let d${s}${q} = ${src}[${s}u * cG + ${i}];`),
        this.eachU((u) => `let ut${u}${q} = UT[${i} * cH + jc${u}];`),
      ].join('\n'),
      (ixs) => ixs.map(({ q }) => this.eachU((u) => this.eachS((s) => {
        const at = `${dst}[${this.us(u, s)}]`;
        return `${at} = fma(d${s}${q}, ut${u}${q}, ${at});`;
      }))).join('\n'),
    );
  }

  /**
   * Sum over this thread's valid units of expr(u, s) into segment seg(s) of
   * `red`, then the workgroup sum; the totals are red[seg·WG].
   */
  reduce(red: string, parts: Array<{ seg: (s: number) => number; expr: (u: number, s: number) => string }>): string {
    const lines: string[] = [];
    for (const p of parts) {
      lines.push(this.eachS((s) => {
        const terms = this.eachU((u) => `      if (ok${u}) { acc = acc + ${p.expr(u, s)}; }`);
        return `    {\n      var acc = 0.0;\n${terms}\n      ${red}[${p.seg(s) * this.WG}u + lid] = acc;\n    }`;
      }));
    }
    lines.push(`    ${red}_sum(lid);`);
    return lines.join('\n');
  }

  /**
   * LayerNorm of gate block k of `pre` in place (§2: biased variance, ε),
   * two-pass (mean, then Σ(x − mean)²) with S-segment reductions redA, redB.
   * Leaves x̂ in `xh[us]` and 1/std in `is{s}`; gains `lng{u}`, `lnb{u}`.
   * With `readoutOf` (the unit array still holding h_{t−1}), the mean's
   * reduction also sums ŷ_{t−1} = h_{t−1} W_out + b_out in segments S … 2S−1
   * of redA (declared with 2S) and writes it: one reduction a step less than
   * a readout of its own (forwardStepEnd without readout, finalReadout after
   * the loop); the same sums, so the same ŷ.
   */
  lnForward(pre: string, k: number, readoutOf?: string): string {
    const S = this.S;
    const yParts = readoutOf ? [{ seg: (s: number) => S + s, expr: (u: number, s: number) => `${readoutOf}[${this.us(u, s)}] * wo${u}` }] : [];
    return [
      this.reduce('redA', [{ seg: (s) => s, expr: (u, s) => `${pre}[${this.idx(u, k, s)}]` }, ...yParts]),
      readoutOf ? this.writeY('t - 1u', 'redA', S, 't > 0u') : '',
      this.eachS((s) => `    let mean${s} = redA[${s * this.WG}u] / fH;`),
      this.reduce('redB', [{ seg: (s) => s, expr: (u, s) => `(${pre}[${this.idx(u, k, s)}] - mean${s}) * (${pre}[${this.idx(u, k, s)}] - mean${s})` }]),
      this.eachS((s) => `    let is${s} = 1.0 / sqrt(redB[${s * this.WG}u] / fH + EPS);`),
      this.eachUS((u, s) => {
        const i = this.idx(u, k, s);
        return `    xh[${this.us(u, s)}] = (${pre}[${i}] - mean${s}) * is${s};\n    ${pre}[${i}] = fma(lng${u}, xh[${this.us(u, s)}], lnb${u});`;
      }),
    ].join('\n');
  }

  /**
   * LayerNorm forward and tangent of gate block k (§2, §5; ts-layernorm
   * lnTangent): pre ← gain ⊙ x̂ + bias, tpre ← gain ⊙ dx̂ + dgain ⊙ x̂ + dbias
   * with dx̂ = (1/std)(d − mean(d) − x̂ mean(d ⊙ x̂)). Two 2S-segment
   * reductions: [Σ x, Σ d], then [Σ (x − mean)², Σ d (x − mean)], so
   * mean(d ⊙ x̂) = (1/std) Σ d (x − mean) / H. Direction gains `dlng{u}`, `dlnb{u}`.
   */
  lnForwardTangent(pre: string, tpre: string, k: number): string {
    const S = this.S;
    const at = (a: string, u: number, s: number): string => `${a}[${this.idx(u, k, s)}]`;
    return [
      this.reduce('redA', [
        { seg: (s) => s, expr: (u, s) => at(pre, u, s) },
        { seg: (s) => S + s, expr: (u, s) => at(tpre, u, s) },
      ]),
      this.eachS((s) => `    let mean${s} = redA[${s * this.WG}u] / fH;\n    let m1${s} = redA[${(S + s) * this.WG}u] / fH;`),
      this.reduce('redB', [
        { seg: (s) => s, expr: (u, s) => `(${at(pre, u, s)} - mean${s}) * (${at(pre, u, s)} - mean${s})` },
        { seg: (s) => S + s, expr: (u, s) => `${at(tpre, u, s)} * (${at(pre, u, s)} - mean${s})` },
      ]),
      this.eachS((s) => `    let is${s} = 1.0 / sqrt(redB[${s * this.WG}u] / fH + EPS);\n    let m2${s} = is${s} * redB[${(S + s) * this.WG}u] / fH;`),
      this.eachUS((u, s) => {
        const p = at(pre, u, s), d = at(tpre, u, s);
        return [
          '    {',
          `      let xhv = (${p} - mean${s}) * is${s};`,
          `      let dxh = is${s} * (${d} - m1${s} - xhv * m2${s});`,
          `      ${p} = fma(lng${u}, xhv, lnb${u});`,
          `      ${d} = lng${u} * dxh + dlng${u} * xhv + dlnb${u};`,
          '    }',
        ].join('\n');
      }),
    ].join('\n');
  }

  /**
   * LayerNorm backward of gate block k (ts-layernorm lnBackward): `dp` holds
   * ∂L/∂(LN output) and receives ∂L/∂(LN input); one 2S-segment reduction
   * [Σ g⊙d, Σ g⊙d⊙x̂]. Accumulates this thread's Σ d x̂ and Σ d (LN gain and
   * bias gradients) over its sequences and all steps in compensated sums
   * lgS{u}/lgC{u}, lbS{u}/lbC{u}. Reads x̂ and 1/std from the cache LNC.
   */
  lnBackward(dp: string, k: number): string {
    const S = this.S;
    const lines: string[] = [];
    lines.push(this.eachS((s) => `    var is${s} = 0.0;\n    if (vb${s}) { is${s} = LNC[IS_OFF + row${s}]; }`));
    lines.push(this.eachUS((u, s) => `    if (vb${s}) { xh[${this.us(u, s)}] = LNC[row${s} * cH + jc${u}]; } else { xh[${this.us(u, s)}] = 0.0; }`));
    // this step's gain / bias sums of this thread's units, then compensated accumulation (invalid units add 0)
    lines.push(this.eachU((u) => {
      const sg = this.eachS((s) => `${dp}[${this.idx(u, k, s)}] * xh[${this.us(u, s)}]`).split('\n').join(' + ');
      const sb = this.eachS((s) => `${dp}[${this.idx(u, k, s)}]`).split('\n').join(' + ');
      return `    {\n      let xg = ${sg};\n      let xb = ${sb};\n${neumaier(`lgS${u}`, `lgC${u}`, 'xg')}\n${neumaier(`lbS${u}`, `lbC${u}`, 'xb')}\n    }`;
    }));
    lines.push(this.reduce('redA', [
      { seg: (s) => s, expr: (u, s) => `lng${u} * ${dp}[${this.idx(u, k, s)}]` },
      { seg: (s) => S + s, expr: (u, s) => `lng${u} * ${dp}[${this.idx(u, k, s)}] * xh[${this.us(u, s)}]` },
    ]));
    lines.push(this.eachS((s) => `    let m1${s} = redA[${s * this.WG}u] / fH;\n    let m2${s} = redA[${(S + s) * this.WG}u] / fH;`));
    lines.push(this.eachUS((u, s) => {
      const i = this.idx(u, k, s);
      return `    ${dp}[${i}] = is${s} * (lng${u} * ${dp}[${i}] - m1${s} - xh[${this.us(u, s)}] * m2${s});`;
    }));
    return lines.join('\n');
  }

  /** Declarations of the LayerNorm gradient accumulators (lnBackward). */
  lnAccumulators(): string {
    return this.eachU((u) => `  var lgS${u} = 0.0;\n  var lgC${u} = 0.0;\n  var lbS${u} = 0.0;\n  var lbC${u} = 0.0;`);
  }

  /** Writes this workgroup's LayerNorm gradient partials: LNP[wid·2H + j] (gain), LNP[wid·2H + H + j] (bias). */
  lnPartials(): string {
    return this.eachU((u) => `  if (ok${u}) {\n    LNP[wid * 2u * cH + j${u}] = lgS${u} + lgC${u};\n    LNP[wid * 2u * cH + cH + j${u}] = lbS${u} + lbC${u};\n  }`);
  }

  /** ŷ_t = h_t W_out + b_out (§2) from the unit array `h`, via redA (S segments). */
  readout(h: string): string {
    return [
      this.reduce('redA', [{ seg: (s) => s, expr: (u, s) => `${h}[${this.us(u, s)}] * wo${u}` }]),
      this.writeY('t', 'redA', 0),
    ].join('\n');
  }

  /** After the time loop (a deferred readout, lnForward's readoutOf): ŷ_{T−1} from the unit array `h`. */
  finalReadout(h: string): string {
    return [
      this.reduce('redA', [{ seg: (s) => s, expr: (u, s) => `${h}[${this.us(u, s)}] * wo${u}` }]).replace(/^ {4}/gm, '  '),
      this.writeY('u.T - 1u', 'redA', 0, 'u.T > 0u').replace(/^ {4}/gm, '  '),
    ].join('\n');
  }

  /** Y[step·B + b] = the sum in segment seg0 + s of `red` + b_out, by thread s < S for its sequence b (when `cond`). */
  private writeY(step: string, red: string, seg0: number, cond?: string): string {
    return [
      `    if (${cond ? `${cond} && ` : ''}lid < cS) {`,
      '      let bb = b0 + lid;',
      `      if (bb < u.B) { Y[(${step}) * u.B + bb] = ${red}[(${seg0}u + lid) * cWG] + bout; }`,
      '    }',
    ].join('\n');
  }

  /** Workgroup row copy of a unit array: dst[s·H + j] = src[us] (valid units). */
  storeRows(dst: string, src: string): string {
    return this.eachUS((u, s) => `    if (ok${u}) { ${dst}[${s}u * cH + j${u}] = ${src}[${this.us(u, s)}]; }`);
  }

  /**
   * The end of a forward step, the same for every cell: the LayerNorm 1/std
   * into its cache (training with LayerNorm), ŷ_t from `hVar` (unless the
   * next step's lnForward reads it out: `readout` false), h_t into the
   * workgroup rows `hRows`, and the barrier before the next step reads them.
   */
  forwardStepEnd(train: boolean, hVar: string, hRows: string, readout = true): string {
    return [
      train && this.ln ? `    if (lid == 0u) {\n${this.eachS((s) => `      if (vb${s}) { LNC[IS_OFF + row${s}] = is${s}; }`)}\n    }` : '',
      readout ? this.readout(hVar) : '',
      this.storeRows(hRows, hVar),
      '    workgroupBarrier();',
    ].join('\n');
  }

  /** Guard for a write of (unit u, sequence s). */
  valid(u: number, s: number): string {
    return `vb${s} && ok${u}`;
  }

  /** `writes` of (unit u, sequence s) to its element `hr` of a [rows][H] buffer, under valid(u, s). */
  rowWrites(u: number, s: number, writes: readonly string[]): string[] {
    return [`      if (${this.valid(u, s)}) {`, `        let hr = row${s} * cH + j${u};`, ...writes, '      }'];
  }

  /** The tangent step's outputs of (unit u, sequence s): v_t (`vv`) and, when asked for, h_t (`hv`). */
  tangentWrites(u: number, s: number): string[] {
    return this.rowWrites(u, s, ['        V[hr] = vv;', '        if (u.hid != 0u) { HID[hr] = hv; }']);
  }

  /**
   * The backward step's reads for (unit u, sequence s): `dyv` = ∂L/∂ŷ of the
   * row, the gate values `gates` (blocks 0, 1, … of the forward's GATES row)
   * and the cell's AUX row now (`auxNow`) and one step earlier (`auxPrev`,
   * 0 at t = 0), all 0 outside the (unit, sequence) range: units j ≥ H read
   * zeros, not the clamped column H − 1 that its owner overwrites in the same
   * pass (see the header). Declares the variables, one block of WGSL lines.
   */
  backwardReads(u: number, s: number, gates: readonly string[], aux: { now?: string; prev?: string }): string[] {
    const vars = ['dyv', ...gates, ...(aux.now ? [aux.now] : []), ...(aux.prev ? [aux.prev] : [])];
    return [
      ...vars.map((v) => `      var ${v} = 0.0;`),
      `      if (${this.valid(u, s)}) {`,
      `        dyv = Y[row${s}];`,
      `        let gr = row${s} * cG + jc${u};`,
      ...gates.map((v, k) => `        ${v} = GATES[gr${k > 0 ? ` + ${k * this.H}u` : ''}];`),
      ...(aux.now ? [`        ${aux.now} = AUX[row${s} * cH + jc${u}];`] : []),
      ...(aux.prev ? [`        if (t > 0u) { ${aux.prev} = AUX[(row${s} - u.B) * cH + jc${u}]; }`] : []),
      '      }',
    ];
  }
}

/** Neumaier's compensated addition sum += x (inline WGSL). */
export function neumaier(sum: string, comp: string, x: string): string {
  return `      {\n        let nt = ${sum} + ${x};\n        if (abs(${sum}) >= abs(${x})) { ${comp} = ${comp} + ((${sum} - nt) + ${x}); } else { ${comp} = ${comp} + ((${x} - nt) + ${sum}); }\n        ${sum} = nt;\n      }`;
}
