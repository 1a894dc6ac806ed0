/**
 * The WebGPU probe in its child process (DESIGN.md §6): with Debian chromium's
 * SwiftShader Vulkan ICD an adapter exists and is a software fallback (never
 * picked by auto); with no Vulkan driver there is none, with a clear reason;
 * every failure (module missing, requestDevice failing, a hang, a crash) is
 * available: false with a plain reason, never a rejection.
 *
 * CI installs chromium (.ci/run): a missing ICD fails the SwiftShader test.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../select';
import { probeWebGpu, runWebGpuProbe } from './probe';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const SWIFTSHADER_ENV = { ...process.env, VK_ICD_FILENAMES: ICD, LD_LIBRARY_PATH: '/usr/lib/chromium' };
// an ICD list with no driver in it: no Vulkan adapter whatever the machine has
const NO_DRIVER_ENV = { ...process.env, VK_ICD_FILENAMES: '/nonexistent/lw-no-icd.json', LD_LIBRARY_PATH: '/usr/lib/chromium' };

/** A module the child imports instead of `webgpu` (fakes of its `create`). */
const fake = (src: string) => `data:text/javascript,${encodeURIComponent(src)}`;

describe('probeWebGpu in a child process', () => {
  it('SwiftShader: an adapter, a software fallback, never picked by auto', async () => {
    expect(existsSync(ICD), `${ICD} is missing: install Debian's chromium (CI's .ci/run does)`).toBe(true);
    const p = await runWebGpuProbe({ env: SWIFTSHADER_ENV });
    expect(p).toEqual({ available: true, fallback: true, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' });
    expect(selectBackend('auto', p)).toEqual({ backend: 'cpu', reason: 'only a software adapter: SwiftShader driver 5.0.0' });
    expect(selectBackend('auto', p, true).backend).toBe('cpu');
  });

  it('no Vulkan driver: no adapter, and the reason says so', async () => {
    const p = await runWebGpuProbe({ env: NO_DRIVER_ENV });
    expect(p).toMatchObject({ available: false, fallback: false, vendor: '', architecture: '', description: '' });
    expect(p.reason).toMatch(/^no WebGPU adapter/);
    expect(selectBackend('auto', p).backend).toBe('cpu');
    expect(selectBackend('auto', p).reason).toMatch(/^no WebGPU adapter/);
  });

  it('the webgpu module missing', async () => {
    const p = await runWebGpuProbe({ moduleUrl: 'file:///nonexistent/lw-webgpu/index.js' });
    expect(p.available).toBe(false);
    expect(p.reason).toMatch(/^the webgpu module could not be loaded: .*lw-webgpu/);
  });

  it('requestDevice failing: the adapter is named, not available, with the error', async () => {
    const p = await runWebGpuProbe({
      moduleUrl: fake(`export const create = () => ({ requestAdapter: async () => ({
        info: { vendor: 'acme', architecture: 'x1', description: 'Acme X1', isFallbackAdapter: false },
        requestDevice: async () => { throw new Error('out of device memory'); } }) });`),
    });
    expect(p).toEqual({
      available: false, fallback: false, vendor: 'acme', architecture: 'x1', description: 'Acme X1', reason: 'requestDevice failed: out of device memory',
    });
  });

  it('requestAdapter resolving null and create throwing', async () => {
    expect(await runWebGpuProbe({ moduleUrl: fake('export const create = () => ({ requestAdapter: async () => null });') }))
      .toEqual({ available: false, fallback: false, vendor: '', architecture: '', description: '', reason: 'no WebGPU adapter' });
    expect((await runWebGpuProbe({ moduleUrl: fake("export const create = () => { throw new Error('no backends'); };") })).reason)
      .toBe('WebGPU could not be initialised: no backends');
  });

  it('a hanging driver is killed at the timeout', async () => {
    const t0 = performance.now();
    const p = await runWebGpuProbe({ moduleUrl: fake('setInterval(() => {}, 1000); await new Promise(() => {});'), timeoutMs: 300 });
    expect(p).toMatchObject({ available: false, reason: 'the WebGPU probe did not answer within 0.3 s (a GPU driver may hang)' });
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('a crashing driver is a reason, not a crash of this process', async () => {
    const p = await runWebGpuProbe({ moduleUrl: fake("process.kill(process.pid, 'SIGSEGV');") });
    expect(p).toMatchObject({ available: false, reason: 'the WebGPU probe was killed by SIGSEGV' });
    const q = await runWebGpuProbe({ moduleUrl: fake("console.error('Warning: driver exploded'); process.exit(3);") });
    expect(q.reason).toBe('the WebGPU probe exited with code 3: driver exploded');
  });

  it('probeWebGpu asks once per process', async () => {
    const a = probeWebGpu();
    expect(probeWebGpu()).toBe(a);
    const p = await a;
    expect(typeof p.available).toBe('boolean');
    if (!p.available) expect(p.reason).toBeTruthy();
  });
});
