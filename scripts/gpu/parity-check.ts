/**
 * GPU ↔ CPU parity on whatever adapter this machine has (issue 6, item 3, on
 * real hardware): runParity (src-workers/backends/webgpu/test/parity.ts) for
 * every architecture, LayerNorm on and off, at a small shape, at the `paper`
 * kernel shape (H 128, D 16; short sequences) and at the paper's row count
 * (B 511 on a model for 512, T 1024; H 4). Prints the largest
 * relative error of each case and exits 1 when any exceeds 1e-4. Then, at
 * the paper kernel shape, the unrolled kernels (unroll 'auto', per loop)
 * against the default rolled ones: every output of every pass must agree bit
 * for bit on this driver too (test/unroll.test.ts checks it on SwiftShader),
 * else exit 1.
 *
 *   npx tsx scripts/gpu/parity-check.ts        (bundled: bash .gpu-bundle/run.sh parity)
 */
import { ARCHS } from '../../src-workers/engine/models/types';
import { acquireGpu, adapterName, createGpuModel } from '../../src-workers/backends/webgpu/index';
import { parityFailures, runParity, type ParityCase } from '../../src-workers/backends/webgpu/test/parity';
import { firstDifference, passOutputs } from '../../src-workers/backends/webgpu/test/pass-outputs';

const TOL = 1e-4;
const ctx = await acquireGpu();
console.log(`parity-check: adapter ${adapterName(ctx)}${ctx.adapter.fallback ? ' (software fallback)' : ''}`);
const shapes: Omit<ParityCase, 'arch' | 'layernorm'>[] = [
  { D: 3, H: 20, B: 5, T: 12 },
  { D: 16, H: 128, B: 9, T: 24 },
  // a paper-sized batch, small H: 511 sequences × T 1024 on a model built for 512 (caches of 524 288 rows, reductions over 523 264)
  { D: 16, H: 4, B: 511, T: 1024 },
];
let failed = 0;
for (const arch of ARCHS) {
  for (const layernorm of [true, false]) {
    for (const sh of shapes) {
      const c: ParityCase = { arch, layernorm, ...sh };
      const t0 = performance.now();
      const r = await runParity(ctx, createGpuModel, c);
      const all = [...Object.values(r.forward), ...Object.values(r.grads), ...Object.values(r.tangent)];
      const worst = Math.max(...all);
      const bad = parityFailures(r, TOL);
      if (bad.length > 0) failed++;
      console.log(`${arch.padEnd(6)} ln=${layernorm ? 1 : 0} D=${sh.D} H=${String(sh.H).padEnd(3)} B=${sh.B} T=${sh.T}: worst ${worst.toExponential(2)}`
        + ` (${(performance.now() - t0).toFixed(0)} ms)${bad.length ? `  FAIL ${bad.join(', ')}` : ''}`);
    }
  }
}
console.log(failed === 0 ? `parity-check: all within ${TOL}` : `parity-check: ${failed} case(s) above ${TOL}`);

// unrolled = rolled, bit for bit, at the paper's D and H (default workgroup shape)
let unrollFailed = 0;
for (const arch of ARCHS) {
  for (const layernorm of [true, false]) {
    const shape = { arch, D: 16, H: 128, layernorm, constS: 0.05 };
    const rolled = await passOutputs(ctx, shape, 9, 24, {});
    const unrolled = await passOutputs(ctx, shape, 9, 24, { unroll: 'auto' });
    const diff = firstDifference(rolled.outputs, unrolled.outputs);
    if (diff) unrollFailed++;
    console.log(`${arch.padEnd(6)} ln=${layernorm ? 1 : 0} D=16 H=128 B=9 T=24: unroll auto (S ${unrolled.used.seqsPerWorkgroup}, WG ${unrolled.used.workgroupSize}) `
      + `${diff ? `DIFFERS from rolled: ${diff}` : '= rolled, bit for bit'}`);
  }
}
console.log(unrollFailed === 0 ? 'parity-check: unrolled kernels identical to rolled ones' : `parity-check: ${unrollFailed} case(s) where unrolling changed a result`);
process.exit(failed === 0 && unrollFailed === 0 ? 0 : 1);
