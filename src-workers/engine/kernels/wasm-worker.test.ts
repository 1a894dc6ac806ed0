/**
 * The WASM kernels instantiate synchronously in a worker thread too (the
 * engine runs in piscina workers). The worker loads the TypeScript module
 * through tsx's scoped API, as src-workers/tasks/run-unit-worker.mjs does.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';

describe('wasm kernels in a worker thread', () => {
  it('creates an instance, runs tanh and a gemm, and reports the results', async () => {
    const url = new URL('./wasm/wasm-kernels.ts', import.meta.url).href;
    const code = `
      const { parentPort } = require('node:worker_threads');
      (async () => {
        const { tsImport } = await import('tsx/esm/api');
        const { createWasmKernels } = await tsImport(${JSON.stringify(url)}, ${JSON.stringify(url)});
        const k = createWasmKernels({ capacityFloats: 1 << 16 });
        const x = k.alloc(3);
        x.set([0, 1, -40]);
        k.tanh(x, 0, x, 0, 3);
        const a = k.alloc(4), b = k.alloc(4), c = k.alloc(4);
        a.set([1, 2, 3, 4]); b.set([5, 6, 7, 8]);
        k.gemmNN(2, 2, 2, a, 0, 2, b, 0, 2, c, 0, 2, 0);
        parentPort.postMessage({ tanh: Array.from(x), gemm: Array.from(c) });
      })().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));`;
    const worker = new Worker(code, { eval: true });
    try {
      const msg = await new Promise<{ tanh?: number[]; gemm?: number[]; error?: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(msg.error).toBeUndefined();
      expect(msg.tanh![0]).toBe(0);
      expect(Math.abs(msg.tanh![1]! - Math.tanh(1))).toBeLessThanOrEqual(1e-6 * Math.tanh(1));
      expect(msg.tanh![2]).toBe(-1);
      expect(msg.gemm).toEqual([19, 22, 43, 50]);
    } finally {
      await worker.terminate();
    }
  });
});
