import { describe, expect, it } from 'vitest';
import { acquireGpu, createStorage, gpuErrorMessage, Kernel, readRegions, writeFloats } from '../runtime';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();

describe.skipIf(!ctx)('webgpu runtime (software adapter in CI)', () => {
  const g = ctx!;

  it('round-trips floats and reads several regions in one map', async () => {
    const buf = createStorage(g, 10, 't');
    writeFloats(g, buf, new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    const a = new Float32Array(3), b = new Float64Array(4);
    await readRegions(g, [{ buf, off: 2, n: 3, into: a }, { buf, off: 7, n: 3, into: b, intoOff: 1 }]);
    expect([...a]).toEqual([3, 4, 5]);
    expect([...b]).toEqual([0, 8, 9, 10]);
    buf.destroy();
  });

  it('reports a WGSL compilation error with its line at the next read-back', async () => {
    const bad = new Kernel(g, 'bad-kernel', '@compute @workgroup_size(1) fn main() {\n  let x: f32 = undefined_name;\n}', 0, { uniform: false });
    const enc = g.device.createCommandEncoder();
    bad.encode(enc, [1], []);
    const buf = createStorage(g, 4, 'x');
    await expect(readRegions(g, [{ buf, n: 1, into: new Float32Array(1) }], enc)).rejects.toThrow(/bad-kernel.*\n.*line 2/s);
    buf.destroy();
  });
});

describe('gpuErrorMessage', () => {
  it('names the remedies for out-of-memory errors, in either spelling', () => {
    for (const e of ['Out of memory while allocating buffer "gates"', 'vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY']) {
      const m = gpuErrorMessage(['first', e]);
      expect(m).toMatch(/^WebGPU out of memory: .*--gpu-runs.*batch_size, T or H/);
      expect(m).toContain(e);
    }
  });
  it('passes other errors through', () => {
    expect(gpuErrorMessage(['a', 'b'])).toBe('WebGPU error: a\nb');
  });
});

describe.skipIf(!ctx)('acquireGpu', () => {
  it('gives the thread one device, and a fresh one after that device is lost', async () => {
    const a = await acquireGpu();
    expect(await acquireGpu()).toBe(a);
    a.device.destroy(); // device.lost resolves with reason 'destroyed'
    await a.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    const b = await acquireGpu();
    expect(b).not.toBe(a);
    const buf = createStorage(b, 4, 'after-loss');
    writeFloats(b, buf, new Float32Array([1, 2, 3, 4]));
    const out = new Float32Array(4);
    await readRegions(b, [{ buf, n: 4, into: out }]);
    expect([...out]).toEqual([1, 2, 3, 4]);
    buf.destroy();
  });
});
