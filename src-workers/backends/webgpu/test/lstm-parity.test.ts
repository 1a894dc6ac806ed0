/**
 * The LSTM GPU model against the float64 CPU model (issue 6, item 3): the
 * evaluation forward with every §4.1 term and the hidden states, every
 * gradient tensor, and the tangent, each to 1e-4 relative (test/parity.ts),
 * plus the model's life cycle (gate-block-gpu-lifecycle.ts).
 */
import { describe, expect, it } from 'vitest';
import { createLstmGpuModel } from '../lstm-gpu';
import { describeGateBlockLifecycle } from './gate-block-gpu-lifecycle';
import { testGpu } from './gpu-test-context';
import { parityFailures, runParity } from './parity';

const { ctx } = await testGpu();
const TOL = 1e-4;

describe.skipIf(!ctx)('lstm GPU model: parity with the float64 CPU model (software adapter in CI)', () => {
  const g = ctx!;

  it.each([false, true])('default kernel shape, layernorm %s', async (layernorm) => {
    const r = await runParity(g, createLstmGpuModel, { arch: 'lstm', D: 3, H: 12, B: 3, T: 9, layernorm });
    expect(parityFailures(r, TOL)).toEqual([]);
  });

  it.each([false, true])('H = 20 over 8 threads (3 units each), 2 sequences per workgroup, B = 5, layernorm %s', async (layernorm) => {
    const factory = (c: typeof g, shape: Parameters<typeof createLstmGpuModel>[1], opts: Parameters<typeof createLstmGpuModel>[2]) =>
      createLstmGpuModel(c, shape, { ...opts, tuning: { workgroupSize: 8, seqsPerWorkgroup: 2 } });
    const r = await runParity(g, factory, { arch: 'lstm', D: 4, H: 20, B: 5, T: 7, layernorm, seed: 5 });
    expect(parityFailures(r, TOL)).toEqual([]);
  });

  it('T = 1 (no recurrent step: dU = 0) with 3 sequences per workgroup', async () => {
    const factory = (c: typeof g, shape: Parameters<typeof createLstmGpuModel>[1], opts: Parameters<typeof createLstmGpuModel>[2]) =>
      createLstmGpuModel(c, shape, { ...opts, tuning: { seqsPerWorkgroup: 3 } });
    const r = await runParity(g, factory, { arch: 'lstm', D: 2, H: 6, B: 4, T: 1, layernorm: true, seed: 9 });
    expect(parityFailures(r, TOL)).toEqual([]);
  });

  describeGateBlockLifecycle('lstm', () => g, createLstmGpuModel);
});
