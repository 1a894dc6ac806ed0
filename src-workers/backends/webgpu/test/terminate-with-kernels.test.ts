/**
 * A worker thread terminated right after making kernels (the pool's
 * destroy() does this to threads whose last model was made but never
 * flushed) must not take the process down: dawn.node aborts the process when
 * a getCompilationInfo() promise is still unresolved as its thread ends, so
 * the runtime asks for the compiler's messages only inside flush()
 * (runtime.ts). Run in a child process, five threads in a row.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { testGpu } from './gpu-test-context';

const { ctx } = await testGpu();
const CHILD = fileURLToPath(new URL('./fixtures/terminate-with-kernels.mjs', import.meta.url));

describe.skipIf(!ctx)('terminating a worker thread that made kernels', () => {
  it('five threads, each terminated right after making 24 kernels: the process lives on and exits 0', () => {
    const r = spawnSync(process.execPath, [CHILD, '5'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).not.toMatch(/Promise not resolved or rejected/);
    expect([r.status, r.signal, r.stdout.trim()]).toEqual([0, null, 'terminated 5']);
  });
});
