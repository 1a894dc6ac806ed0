/**
 * The workgroup reduction every persistent kernel uses (wgsl-lib.ts
 * workgroupReduction: two levels, three barriers) run on its own, for every
 * power-of-two workgroup size from 1 to 256 and segment counts up to
 * S·P > WG (threads loop over the partials): each of S segments of WG
 * integers sums exactly (integers below 2^24 add exactly in float32) to its
 * closed form, every thread reads the total, and a second round over the same
 * memory (new values written right after the first round's totals are read,
 * as the time loops do) sums just as exactly.
 */
import { describe, expect, it } from 'vitest';
import { createStorage, Kernel, readRegions } from '../runtime';
import { reductionPartials, workgroupReduction } from '../wgsl-lib';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();
const ROUNDS = 2;

function harness(S: number, WG: number): string {
  return /* wgsl */ `
${workgroupReduction('red', S, WG)}
@group(0) @binding(0) var<storage, read_write> O: array<f32>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_id) lv: vec3<u32>) {
  let lid = lv.x;
  for (var r = 0u; r < ${ROUNDS}u; r = r + 1u) {
    for (var s = 0u; s < ${S}u; s = s + 1u) { red[s * ${WG}u + lid] = f32(s * 1000u + lid + 7u * r); }
    red_sum(lid);
    for (var s = 0u; s < ${S}u; s = s + 1u) { O[(r * ${S}u + s) * ${WG}u + lid] = red[s * ${WG}u]; }
    workgroupBarrier();
  }
}`;
}

describe.skipIf(!ctx)('workgroupReduction: exact segment sums for every workgroup size', () => {
  const g = ctx!;
  const cases: Array<[S: number, WG: number]> = [
    [1, 1], [3, 1], [1, 2], [5, 2], [3, 8], [40, 8], [1, 32], [40, 32], [40, 64], [1, 128], [3, 128], [4, 256],
  ];
  it.each(cases)('S = %i segments of WG = %i threads', async (S, WG) => {
    // the harness must exercise the strided first level where it exists (S·P > WG)
    if (S === 40) expect(S * reductionPartials(WG)).toBeGreaterThan(WG);
    const n = ROUNDS * S * WG;
    const out = createStorage(g, n, 'reduction out');
    const k = new Kernel(g, `reduction S${S} WG${WG}`, harness(S, WG), 1, { uniform: false });
    const enc = g.device.createCommandEncoder();
    k.encode(enc, [1], [out]);
    const got = new Float32Array(n);
    await readRegions(g, [{ buf: out, n, into: got }], enc);
    out.destroy();
    for (let r = 0; r < ROUNDS; r++) {
      for (let s = 0; s < S; s++) {
        // Σ_{lid < WG} (1000 s + lid + 7 r) = WG (1000 s + 7 r) + WG (WG − 1) / 2
        const want = WG * (1000 * s + 7 * r) + (WG * (WG - 1)) / 2;
        for (let lid = 0; lid < WG; lid++) {
          const v = got[(r * S + s) * WG + lid]!;
          if (v !== want) expect(v, `round ${r}, segment ${s}, thread ${lid}`).toBe(want);
        }
      }
    }
  });

  it('partials per segment: 2^⌈log2(WG)/2⌉', () => {
    expect([1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map(reductionPartials)).toEqual([1, 2, 2, 4, 4, 8, 8, 16, 16, 32]);
  });
});
