/**
 * Data races in the WGSL kernels (race-detector.ts, reduction-phases.ts).
 *
 * Why these tests exist: the parity tests run on SwiftShader, which never
 * makes one subgroup's workgroup-memory write visible to another subgroup
 * before the next barrier, so a write-after-read race (a barrier missing
 * between reads of a slot and its overwrite) gives the right numbers there
 * and wrong ones on a real GPU; and a workgroupBarrier ordering STORAGE
 * accesses (it orders workgroup memory only) is never caught either. Two
 * such races were found this way. The detector checks the memory-model rules
 * directly:
 *  (a) every kernel the five architectures build (LayerNorm off / on; the
 *      default shape at H = 128 and two forced shapes with idle and
 *      multi-unit threads), T = 1, 2 (a step's back edge), 3, B = S + 1 (a
 *      second, partial workgroup), every recording flag on (the flags only
 *      guard storage writes): no finding;
 *  (b) the detector can fail: hand-written kernels with known races at known
 *      lines, and mutants of the real kernels (a barrier removed, two
 *      reductions merged, all workgroups on the same sequences, a
 *      non-uniform barrier, a storageBarrier weakened, …) are each reported
 *      at the line that races; WGSL outside its subset throws;
 *  (c) the reduction kernels (vec4, pointers: outside the subset) pass the
 *      static phase check, whose mutants fail it;
 *  (a', a'') the element-wise kernels (device loss, the resident inputs'
 *      gather) touch no workgroup memory and write only their own element.
 */
import { describe, expect, it } from 'vitest';
import type { Arch } from '../../../engine/models/types';
import { captureModelKernels, CAPTURE_ARCHS, CAPTURE_CONFIGS, reductionKernels, type CapturedKernel } from './kernel-capture';
import { closeGpu, openGpu } from '../runtime';
import { testGpu } from './gpu-test-context';
import { analyseRaces, detectRaces, formatFinding, UnsupportedWgslError, type Finding, type RaceRun } from './race-detector';
import { reductionPhaseProblems } from './reduction-phases';
import { GATHER_WGSL } from '../resident-inputs';

const { ctx } = await testGpu();
/** captured on a device of its own (its pipelines get a trivial shader while capturing), closed afterwards */
async function capture(): Promise<CapturedKernel[]> {
  const dev = await openGpu();
  try {
    return captureModelKernels(dev);
  } finally {
    closeGpu(dev);
  }
}
const captured: CapturedKernel[] = ctx ? await capture() : [];
/** element-wise kernels (device-loss.ts): one invocation per element, checked statically below */
const elementwise = captured.filter((k) => k.label.startsWith('device loss'));
const persistent = captured.filter((k) => !k.label.startsWith('reduce-') && !k.label.startsWith('device loss'));

const GATED = new Set<Arch>(['const', 'shared', 'diag']);
/** every recording on: the gated kernels' flags (bit 0 h_t, bit 1 terms), the gate-block ones' rec / hid */
function uniformsFor(arch: Arch): Record<string, number> {
  return GATED.has(arch) ? { flags: 3 } : { rec: 1, hid: 1 };
}
function runsFor(k: CapturedKernel): RaceRun[] {
  if (k.label.endsWith('-transpose')) {
    // WT = [W_hᵀ, U_sᵀ (diag)]: one H×H matrix per gate matrix, 64 threads per workgroup, laid
    // out on two rows of workgroups (the 2-D dispatch the model uses past the per-dimension limit)
    const H = CAPTURE_CONFIGS.find((c) => c.tag === k.config)!.H;
    const n = (k.arch === 'diag' ? 2 : 1) * H * H;
    return [{ B: 1, T: 1, grid: { x: Math.ceil(Math.ceil(n / 64) / 2), y: 2 }, uniforms: uniformsFor(k.arch) }];
  }
  const S = k.tuning.seqsPerWorkgroup;
  return [1, 2, 3].map((T) => ({ B: S + 1, T, uniforms: uniformsFor(k.arch) }));
}
const describeFindings = (name: string, run: RaceRun, fs: readonly Finding[]): string[] =>
  fs.slice(0, 6).map((f) => `${name} B=${run.B} T=${run.T}: ${formatFinding(f)}`);

function kernel(name: string): string {
  const k = persistent.find((x) => x.name === name);
  if (!k) throw new Error(`kernel ${name} not captured`);
  return k.code;
}
/** `code` with `mutate` applied; throws if it changed nothing (a mutant that silently is the original). */
function mutant(code: string, mutate: (c: string) => string): string {
  const m = mutate(code);
  if (m === code) throw new Error('the mutation did not apply');
  return m;
}
/** Remove the n-th (0-based; negative from the end) occurrence of `needle`. */
function dropNth(code: string, needle: string, n: number): string {
  const at: number[] = [];
  for (let i = code.indexOf(needle); i >= 0; i = code.indexOf(needle, i + 1)) at.push(i);
  const i = at[n < 0 ? at.length + n : n];
  if (i === undefined) throw new Error(`no occurrence ${n} of ${needle}`);
  return code.slice(0, i) + code.slice(i + needle.length);
}

describe.skipIf(!ctx)('WGSL race detector over every kernel the GPU models build', () => {
  it('captures every kernel: 5 per gated model, 4 per LSTM / GRU model, at every shape', () => {
    for (const arch of CAPTURE_ARCHS) {
      const labels = ['forward-train', 'forward-eval', 'backward', 'tangent', ...(GATED.has(arch) ? ['transpose'] : [])];
      for (const layernorm of [false, true]) {
        for (const c of CAPTURE_CONFIGS) {
          const got = persistent.filter((k) => k.arch === arch && k.layernorm === layernorm && k.config === c.tag).map((k) => k.label).sort();
          expect(got, `${arch} ${layernorm ? 'ln' : 'noln'} ${c.tag}`).toEqual(labels.map((l) => `${arch}-${l}`).sort());
        }
      }
      const forced = persistent.filter((k) => k.arch === arch && k.config === 'H6w8s3');
      expect(forced.every((k) => k.tuning.workgroupSize === 8 && k.tuning.seqsPerWorkgroup === 3)).toBe(true);
    }
    // every model builds its device-loss kernel (gate-block: in place over ŷ); element-wise, checked in (a')
    const models = CAPTURE_ARCHS.length * 2 * CAPTURE_CONFIGS.length;
    expect(elementwise.length).toBe(models);
    // the reduction kernels the models build are the generators' (checked in (c))
    const gen = new Set(reductionKernels().map((r) => r.code));
    const reduce = captured.filter((k) => k.label.startsWith('reduce-'));
    expect(reduce.length).toBeGreaterThan(0);
    for (const r of reduce) expect(gen.has(r.code), r.label).toBe(true);
  });

  for (const arch of CAPTURE_ARCHS) {
    it(`(a) ${arch}: no race in any kernel (T = 1, 2, 3, B = S + 1${GATED.has(arch) ? '; the transpose on a 2-D grid' : ''})`, () => {
      const ks = persistent.filter((k) => k.arch === arch);
      expect(ks.length).toBe(3 * 2 * (GATED.has(arch) ? 5 : 4));
      const failures: string[] = [];
      for (const k of ks) {
        for (const run of runsFor(k)) {
          const r = analyseRaces(k.code, run);
          failures.push(...describeFindings(k.name, run, r.findings));
          // the run did what it should: every invocation, both workgroups, every step
          if (run.grid) {
            const n = (k.arch === 'diag' ? 2 : 1) * (CAPTURE_CONFIGS.find((c) => c.tag === k.config)!.H) ** 2;
            expect(r.written['WT'], k.name).toBe(n);
          } else {
            expect(r.stats.workgroups, k.name).toBe(2);
            expect(r.stats.wgWrites, k.name).toBeGreaterThan(0);
            expect(r.stats.storageAccesses, k.name).toBeGreaterThan(0);
          }
        }
      }
      expect(failures).toEqual([]);
    });
  }

  it('(a) gru/lstm forwards with LayerNorm: ŷ_{t−1} rides in the mean\'s reduction (two a step, ŷ_{T−1} after the loop)', () => {
    const forwards = persistent.filter((k) => (k.arch === 'gru' || k.arch === 'lstm') && /forward-(train|eval)$/.test(k.label));
    expect(forwards.length).toBe(2 * 2 * 2 * CAPTURE_CONFIGS.length);
    for (const k of forwards) {
      const sums = (k.code.match(/_sum\(lid\);/g) ?? []).length;
      const final = k.code.includes('Y[(u.T - 1u) * u.B + bb]');
      // with LayerNorm: mean (+ ŷ_{t−1}) and variance in the step, ŷ_{T−1} after it; without: ŷ_t in the step
      expect([sums, final], k.name).toEqual(k.layernorm ? [3, true] : [1, false]);
    }
  });

  it("(a') element-wise kernels: no workgroup memory, no barrier, every storage access at the invocation's own index", () => {
    for (const k of elementwise) {
      expect(k.code, k.name).not.toMatch(/var<workgroup>|Barrier\(/);
      // each storage array is indexed by the invocation's flat index `i` only (so no two invocations touch one element)
      const accesses = [...k.code.matchAll(/\b(yhat|y|d2|dy)\[([^\]]+)\]/g)].map((m) => m[2]);
      expect(accesses.length, k.name).toBeGreaterThanOrEqual(4);
      expect(new Set(accesses), k.name).toEqual(new Set(['i']));
      expect(k.code, k.name).toMatch(/let i = g\.y \* u\.rowThreads \+ g\.x;\s*if \(i >= u\.n\) \{ return; \}/);
    }
  });

  it("(a'') the resident inputs' gather: element-wise, each invocation writes only dst[i], reads only the read-only store and rows", () => {
    const code = GATHER_WGSL.replace(/\/\/.*$/gm, ''); // comments name the layout with other indices
    expect(code).not.toMatch(/var<workgroup>|Barrier\(/);
    expect(code).toMatch(/var<storage, read> store:/);
    expect(code).toMatch(/var<storage, read> rows:/);
    // the one writable array is written once, at the invocation's flat index, behind the bound check
    expect([...code.matchAll(/\bdst\[([^\]]+)\]/g)].map((m) => m[1])).toEqual(['i']);
    expect(code).toMatch(/let i = g\.y \* u\.rowThreads \+ g\.x;[\s\S]*if \(i >= u\.T \* bd\) \{ return; \}[\s\S]*dst\[i\] = /);
  });

  // ---- (b) the detector can fail ----
  const HAND = (body: string, opts: { barrierAfterRead?: boolean } = {}): string => `
const S: u32 = 1u;
struct U { B: u32, T: u32 }
@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@group(0) @binding(1) var<uniform> u: U;
var<workgroup> buf: array<f32, 4>;
@compute @workgroup_size(4)
fn main(@builtin(local_invocation_id) lv: vec3<u32>, @builtin(workgroup_id) wv: vec3<u32>) {
  let lid = lv.x;
  buf[lid] = 1.0;
  workgroupBarrier();
  let v = buf[(lid + 1u) % 4u];
${opts.barrierAfterRead ? '  workgroupBarrier();\n' : ''}  buf[lid] = v + 1.0;
${body}
}
`;
  it('(b) hand-written kernels: a write-after-read at a known line, integer division, cross-workgroup and storage-barrier races', () => {
    // line 13 (1-based, the template starts with a newline) overwrites buf[lid] while lid − 1 may
    // still read it on line 12: a write-after-read and, seen from lid 3 reading buf[0], a read-after-write
    const war = detectRaces(HAND(''), { B: 2, T: 1 });
    expect(war.map((f) => [f.kind, f.line, f.target])).toEqual([['WAR', 13, 'buf'], ['RAW', 12, 'buf']]);
    expect(war[0]!.source).toBe('buf[lid] = v + 1.0;');
    expect(detectRaces(HAND('', { barrierAfterRead: true }), { B: 2, T: 1 })).toEqual([]);
    // 8 / 3 = 2 in u32 (a float quotient would be an out-of-bounds, non-integer index)
    const div = HAND('  workgroupBarrier();\n  if (lid == 0u) { O[wv.x * 4u + 8u / 3u] = buf[9u / 4u]; }', { barrierAfterRead: true });
    const r = analyseRaces(div, { B: 2, T: 1 });
    expect(r.findings).toEqual([]);
    expect(r.written['O']).toBe(2);
    // every workgroup writes O[0]
    const xwg = detectRaces(HAND('  if (lid == 0u) { O[0u] = v; }', { barrierAfterRead: true }), { B: 2, T: 1 });
    expect(xwg.map((f) => f.kind)).toEqual(['STORAGE-CROSS-WORKGROUP']);
    // lid 0 writes O[wv.x] and, after a workgroupBarrier only, lid 1 reads it; a storageBarrier orders them
    const st = (barrier: string): Finding[] => detectRaces(HAND(`  if (lid == 0u) { O[wv.x] = v; }\n  ${barrier}\n  if (lid == 1u) { buf[0] = O[wv.x]; }`, { barrierAfterRead: true }), { B: 2, T: 1 });
    expect(st('workgroupBarrier();').map((f) => [f.kind, f.line])).toEqual([['STORAGE-WORKGROUPBARRIER-ONLY', 17]]);
    // and a storageBarrier does not order workgroup memory: lid 0 wrote buf[0] on line 14
    expect(st('storageBarrier();').map((f) => [f.kind, f.line])).toEqual([['WAW', 17]]);
    expect(st('storageBarrier();\n  workgroupBarrier();')).toEqual([]);
  });

  it('(b) WGSL outside the supported subset throws', () => {
    const inject = (stmt: string): string => HAND(stmt, { barrierAfterRead: true });
    for (const stmt of ['  let q = u32(v);', '  let w = vec2<f32>(v, v);', '  let d = lid / 2;', '  var p = &v;', '  loop { break; }', '  let z = lv.xy;']) {
      expect(() => detectRaces(inject(stmt), { B: 1, T: 1 }), stmt).toThrow(UnsupportedWgslError);
    }
  });

  interface Mutant { name: string; kernel: string; mutate: (c: string) => string; expect: RegExp }
  const MUTANTS: Mutant[] = [
    { name: 'lstm forward: no barrier after h_t → hw (WAR with the next step\'s reads)', kernel: 'lstm-noln-H20w8s2-lstm-forward-train',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', -1), expect: /^(WAR|RAW)$/ },
    { name: 'lstm forward + LN: redB merged into redA (slot 0 rewritten while the mean is read)', kernel: 'lstm-ln-H20w8s2-lstm-forward-train',
      mutate: (c) => c.replace(/var<workgroup> redB[^\n]*\n/, '').replace(/fn redB_sum[\s\S]*?\n}\n/, '').replace(/redB/g, 'redA'), expect: /^(RAW|WAR)$/ },
    { name: 'gated forward: a reduction without its entry barrier', kernel: 'diag-ln-H20w8s2-diag-forward-train',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 0), expect: /^(RAW|WAR)$/ },
    { name: 'gated forward: a reduction without its middle barrier (the partials added before they are all written)', kernel: 'diag-ln-H20w8s2-diag-forward-train',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 1), expect: /^(RAW|WAR)$/ },
    { name: 'lstm forward + LN: a reduction without its closing barrier (the sum read before it is written)', kernel: 'lstm-ln-H20w8s2-lstm-forward-train',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 2), expect: /^(RAW|WAR)$/ },
    { name: 'gated backward: no barrier between the dAs writes and the carry product', kernel: 'diag-noln-H20w8s2-diag-backward',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', -2), expect: /^(RAW|WAR)$/ },
    { name: 'gated tangent: no closing barrier (hs / vs WAR with the next step\'s matvec)', kernel: 'const-noln-H6w8s3-const-tangent',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', -1), expect: /^(RAW|WAR)$/ },
    { name: 'gru backward: no barrier between the reset rows and the carry product', kernel: 'gru-noln-H20w8s2-gru-backward',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 1), expect: /^(RAW|WAR)$/ },
    { name: 'shared backward: the storageBarrier weakened to a workgroupBarrier (the race fixed in ccb41af)', kernel: 'shared-noln-H20w8s2-shared-backward',
      mutate: (c) => c.replace('storageBarrier();', 'workgroupBarrier();'), expect: /^STORAGE-WORKGROUPBARRIER-ONLY$/ },
    { name: 'gru backward: idle units j ≥ H also read the clamped column H − 1 its owner overwrites (the race fixed in ccb41af)', kernel: 'gru-noln-H6w8s3-gru-backward',
      mutate: (c) => c.replace(/if \((vb\d+) && ok\d+\) \{/g, 'if ($1) {'), expect: /^STORAGE-(SAME-PHASE|WORKGROUPBARRIER-ONLY)$/ },
    { name: 'lstm backward: the same for LSTM', kernel: 'lstm-noln-H20w8s2-lstm-backward',
      mutate: (c) => c.replace(/if \((vb\d+) && ok\d+\) \{/g, 'if ($1) {'), expect: /^STORAGE-(SAME-PHASE|WORKGROUPBARRIER-ONLY)$/ },
    { name: 'all workgroups on the same sequences (storage written by two workgroups)', kernel: 'diag-ln-H20w8s2-diag-forward-train',
      mutate: (c) => c.replace('let b0 = wv.x * S;', 'let b0 = 0u * wv.x;').replace('b < B', 'b < S'), expect: /^STORAGE-CROSS-WORKGROUP$/ },
    { name: 'transpose: the grid\'s second row overlapping the first', kernel: 'diag-noln-H20w8s2-diag-transpose',
      mutate: (c) => c.replace('gid.y * ng.x * 64u', 'gid.y * 64u'), expect: /^STORAGE-CROSS-WORKGROUP$/ },
    { name: 'a barrier only lid 0 reaches', kernel: 'lstm-noln-H20w8s2-lstm-tangent',
      mutate: (c) => { const i = c.lastIndexOf('workgroupBarrier();'); return `${c.slice(0, i)}if (lid == 0u) { workgroupBarrier(); }${c.slice(i + 19)}`; }, expect: /^NON-UNIFORM-BARRIER$/ },
    { name: 'tangent: hs never initialised', kernel: 'const-noln-H6w8s3-const-tangent',
      mutate: (c) => c.replace('{ hs[i] = 0.0; vs[i] = 0.0; }', '{ vs[i] = 0.0; }'), expect: /^UNINITIALISED-READ$/ },
    { name: 'tangent: hs one element short', kernel: 'const-noln-H6w8s3-const-tangent',
      mutate: (c) => c.replace(/(var<workgroup> hs: array<f32, )(\d+)>/, (_s, a: string, n: string) => `${a}${Number(n) - 1}>`), expect: /^OUT-OF-BOUNDS$/ },
  ];
  for (const m of MUTANTS) {
    it(`(b) mutant reported: ${m.name}`, () => {
      const code = kernel(m.kernel);
      const run = runsFor(persistent.find((x) => x.name === m.kernel)!).at(-1)!; // T = 3 (or the transpose's grid)
      expect(detectRaces(code, run).map(formatFinding)).toEqual([]);
      const found = detectRaces(mutant(code, m.mutate), run);
      const hits = found.filter((f) => m.expect.test(f.kind));
      expect(hits.length, found.map(formatFinding).join('\n') || 'no finding').toBeGreaterThan(0);
      // the reported line is the racing access: it names the array / buffer
      for (const f of hits) if (f.target) expect(f.source, formatFinding(f)).toContain(f.target);
    });
  }
});

// ---- (c) the reduction kernels: static phase check (no device needed) ----
describe('reduction kernels: workgroup-memory phases (static check)', () => {
  const kernels = reductionKernels();
  it('every generated variant is clean', () => {
    const problems = kernels.flatMap((k) => reductionPhaseProblems(k.code).map((p) => `${k.name}: ${p}`));
    expect(problems).toEqual([]);
    expect(kernels.length).toBeGreaterThan(20);
  });

  const red = (name: string): string => {
    const k = kernels.find((x) => x.name === name);
    if (!k) throw new Error(`no reduction kernel ${name}`);
    return k.code;
  };
  const cases: Array<{ name: string; kernel: string; mutate: (c: string) => string; expect: RegExp }> = [
    { name: 'tiled: no barrier between the tile stores and the products', kernel: 'tiled-16x32-4x4-k16x2-va-vb',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 0), expect: /written .* and read/ },
    { name: 'tiled: no barrier before the next block\'s stores (back edge)', kernel: 'tiled-16x16-4x8-k5x1',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', -1), expect: /written .* and read/ },
    { name: 'tiled: two loaders on one slot', kernel: 'tiled-16x16-4x8-k5x1',
      mutate: (c) => c.replace('sA[lid + 8u] = ', 'sA[lid + 0u] = '), expect: /written twice/ },
    { name: 'tiled: a slot range never stored', kernel: 'tiled-16x16-4x8-k5x1',
      mutate: (c) => c.replace('if (lid + 16u < 20u) { sA[lid + 16u]', 'if (lid + 16u < 19u) { sA[lid + 16u]'), expect: /not written/ },
    { name: 'skinny: lane totals read without a barrier', kernel: 'skinny-8-3',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 0), expect: /written .* and read/ },
    { name: 'simple 16×16 tile: no barrier after the products', kernel: 'simple',
      mutate: (c) => dropNth(c, 'workgroupBarrier();', 1), expect: /written .* and read/ },
  ];
  for (const m of cases) {
    it(`mutant fails the check: ${m.name}`, () => {
      const problems = reductionPhaseProblems(mutant(red(m.kernel), m.mutate));
      expect(problems.some((p) => m.expect.test(p)), problems.join('\n') || 'no problem').toBe(true);
    });
  }
  it('a barrier inside a branch is outside the phase model: it throws', () => {
    const c = mutant(red('skinny-8-3'), (x) => x.replace('  workgroupBarrier();', '  if (lid == 0u) {\n    workgroupBarrier();\n  }'));
    expect(() => reductionPhaseProblems(c)).toThrow(/barrier at line/);
  });
});

