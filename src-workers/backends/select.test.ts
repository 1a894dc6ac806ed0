/**
 * Backend selection rules (DESIGN.md §3): `auto` takes WebGPU only for a usable
 * hardware adapter (info.isFallbackAdapter false); software adapters are never
 * picked by `auto`; an explicit `webgpu` runs on any usable adapter and is
 * refused, naming the field and the detected adapter, when there is none. The
 * GPU backend is built in this version; the rules of a version without it
 * (`built` false) stay tested through the parameter.
 */
import { describe, expect, it } from 'vitest';
import { adapterFound, describeWebGpu, isSoftwareAdapter, selectBackend, WEBGPU_BACKEND_BUILT, webgpuProblem, type WebGpuProbe } from './select';

// the SwiftShader adapter as DESIGN.md §6 records it
const swiftshader: WebGpuProbe = { available: true, fallback: true, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H200' };
const none: WebGpuProbe = { available: false, fallback: false, vendor: '', architecture: '', description: '', reason: 'no WebGPU adapter' };
const noneExplained: WebGpuProbe = { ...none, reason: "no WebGPU adapter (Couldn't load Vulkan: libvulkan.so.1)" };
const moduleMissing: WebGpuProbe = { ...none, reason: 'the webgpu package is not installed' };
const noDevice: WebGpuProbe = { ...hardware, available: false, reason: 'requestDevice failed: out of memory' };
const PROBES = { swiftshader, hardware, none, noneExplained, moduleMissing, noDevice };

describe('selectBackend', () => {
  it('cpu is always cpu', () => {
    for (const p of Object.values(PROBES)) for (const built of [false, true]) {
      expect(selectBackend('cpu', p, built)).toEqual({ backend: 'cpu', reason: 'cpu was asked for' });
    }
  });

  it('auto never picks a software adapter, built or not', () => {
    for (const built of [false, true]) {
      expect(selectBackend('auto', swiftshader, built)).toEqual({ backend: 'cpu', reason: 'only a software adapter: SwiftShader driver 5.0.0' });
    }
  });

  it('auto never picks a software rasteriser that does not flag itself as a fallback (lavapipe, WARP)', () => {
    // Mesa's Vulkan CPU driver as Dawn names it, with isFallbackAdapter false
    const lavapipe: WebGpuProbe = { available: true, fallback: false, vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' };
    expect(selectBackend('auto', lavapipe)).toEqual({ backend: 'cpu', reason: 'only a software adapter: llvmpipe (LLVM 15.0.6, 256 bits)' });
    const warp: WebGpuProbe = { available: true, fallback: false, vendor: 'microsoft', architecture: '', description: 'Microsoft Basic Render Driver' };
    expect(selectBackend('auto', warp).backend).toBe('cpu');
    // an explicit request still runs on it
    expect(selectBackend('webgpu', lavapipe).backend).toBe('webgpu');
  });

  it('auto with no adapter: cpu, and the probe reason once', () => {
    expect(selectBackend('auto', none)).toEqual({ backend: 'cpu', reason: 'no WebGPU adapter' });
    expect(selectBackend('auto', noneExplained).reason).toBe("no WebGPU adapter (Couldn't load Vulkan: libvulkan.so.1)");
    expect(selectBackend('auto', moduleMissing).reason).toBe('no WebGPU adapter (the webgpu package is not installed)');
    expect(selectBackend('auto', { ...none, reason: undefined }).reason).toBe('no WebGPU adapter');
  });

  it('auto with an adapter that gave no device: cpu, naming it', () => {
    expect(selectBackend('auto', noDevice, true)).toEqual({ backend: 'cpu', reason: 'WebGPU adapter NVIDIA H200 is not usable: requestDevice failed: out of memory' });
  });

  it('auto with a hardware adapter: webgpu once the GPU backend exists, else cpu saying why', () => {
    expect(selectBackend('auto', hardware, true)).toEqual({ backend: 'webgpu', reason: 'hardware WebGPU adapter: NVIDIA H200' });
    expect(selectBackend('auto', hardware, false)).toEqual({
      backend: 'cpu', reason: 'a hardware WebGPU adapter was found (NVIDIA H200) but the GPU backend is not built yet',
    });
    // without the GPU backend, auto is cpu everywhere
    for (const p of Object.values(PROBES)) expect(selectBackend('auto', p, false).backend).toBe('cpu');
  });

  it('this version has the GPU backend: auto is webgpu exactly for the usable hardware adapter', () => {
    expect(WEBGPU_BACKEND_BUILT).toBe(true);
    expect(Object.entries(PROBES).filter(([, p]) => selectBackend('auto', p).backend === 'webgpu').map(([k]) => k)).toEqual(['hardware']);
    expect(selectBackend('auto', hardware)).toEqual({ backend: 'webgpu', reason: 'hardware WebGPU adapter: NVIDIA H200' });
  });

  it('an adapter without a description is named by vendor and architecture', () => {
    expect(selectBackend('auto', { ...swiftshader, description: '' }).reason).toBe('only a software adapter: google swiftshader');
    expect(selectBackend('auto', { ...swiftshader, description: '', vendor: '', architecture: '' }).reason).toBe('only a software adapter: an unnamed adapter');
  });

  it('explicit webgpu is webgpu (refusals come from webgpuProblem)', () => {
    expect(selectBackend('webgpu', hardware, true)).toEqual({ backend: 'webgpu', reason: 'webgpu was asked for (adapter: NVIDIA H200)' });
    expect(selectBackend('webgpu', none, true)).toEqual({ backend: 'webgpu', reason: 'webgpu was asked for (no WebGPU adapter)' });
  });
});

describe('webgpuProblem', () => {
  it('without the GPU backend, webgpu is refused, naming the field and the adapter when one exists', () => {
    expect(webgpuProblem(swiftshader, false)).toEqual({
      field: 'backend',
      message: 'backend webgpu is not available in this version (the GPU backend is not built yet; detected adapter: SwiftShader driver 5.0.0, a software fallback): use auto or cpu',
    });
    expect(webgpuProblem(hardware, false)!.message).toBe(
      'backend webgpu is not available in this version (the GPU backend is not built yet; detected adapter: NVIDIA H200): use auto or cpu');
    expect(webgpuProblem(none, false)!.message).toBe(
      'backend webgpu is not available in this version (the GPU backend is not built yet; no WebGPU adapter): use auto or cpu');
  });

  it('once built: any usable adapter (a software one too, for correctness runs); else refused with the reason', () => {
    expect(webgpuProblem(hardware, true)).toBeNull();
    expect(webgpuProblem(swiftshader, true)).toBeNull();
    expect(webgpuProblem(none, true)).toEqual({ field: 'backend', message: 'backend webgpu is not available here (no WebGPU adapter): use auto or cpu' });
    expect(webgpuProblem(noDevice, true)!.message).toBe(
      'backend webgpu is not available here (WebGPU adapter NVIDIA H200 is not usable: requestDevice failed: out of memory): use auto or cpu');
  });

  it('this version (built) by default: accepted exactly where an adapter gave a device', () => {
    expect(Object.entries(PROBES).filter(([, p]) => webgpuProblem(p) === null).map(([k]) => k)).toEqual(['swiftshader', 'hardware']);
    expect(webgpuProblem(noneExplained)!.message).toBe(
      "backend webgpu is not available here (no WebGPU adapter (Couldn't load Vulkan: libvulkan.so.1)): use auto or cpu");
  });
});

describe('describeWebGpu (the Settings entry)', () => {
  it('a software adapter: its description, vendor, architecture and that it is a fallback; unavailable until built', () => {
    expect(describeWebGpu(swiftshader, false)).toEqual({
      name: 'webgpu', available: false, fallback: true,
      description: 'WebGPU adapter: SwiftShader driver 5.0.0 (google swiftshader), a software fallback adapter, never picked by auto; '
        + 'the GPU backend is not built yet, so runs use the CPU',
    });
    expect(describeWebGpu(swiftshader, true)).toMatchObject({ available: true, fallback: true });
    expect(describeWebGpu(swiftshader)).toEqual({
      name: 'webgpu', available: true, fallback: true,
      description: 'WebGPU adapter: SwiftShader driver 5.0.0 (google swiftshader), a software fallback adapter, never picked by auto',
    });
  });

  it('no adapter: the reason, no fallback flag', () => {
    expect(describeWebGpu(noneExplained, false)).toEqual({
      name: 'webgpu', available: false,
      description: "WebGPU: no WebGPU adapter (Couldn't load Vulkan: libvulkan.so.1); the GPU backend is not built yet, so runs use the CPU",
    });
    expect(describeWebGpu(noneExplained)).toEqual({ name: 'webgpu', available: false, description: "WebGPU: no WebGPU adapter (Couldn't load Vulkan: libvulkan.so.1)" });
  });

  it('a hardware adapter: available only once built; one that gave no device says why', () => {
    expect(describeWebGpu(hardware, false)).toMatchObject({ available: false, fallback: false });
    expect(describeWebGpu(hardware, true)).toEqual({ name: 'webgpu', available: true, fallback: false, description: 'WebGPU adapter: NVIDIA H200 (nvidia hopper)' });
    expect(describeWebGpu(noDevice, true)).toEqual({
      name: 'webgpu', available: false, fallback: false,
      description: 'WebGPU adapter: NVIDIA H200 (nvidia hopper); not usable: requestDevice failed: out of memory',
    });
  });

  it('adapterFound: an adapter counts even without a device', () => {
    expect(Object.entries(PROBES).filter(([, p]) => adapterFound(p)).map(([k]) => k)).toEqual(['swiftshader', 'hardware', 'noDevice']);
  });
});

describe('isSoftwareAdapter', () => {
  it('is the fallback flag, or a known software rasteriser by name', () => {
    expect(isSoftwareAdapter(swiftshader)).toBe(true);
    expect(isSoftwareAdapter({ ...swiftshader, fallback: false })).toBe(true);
    expect(isSoftwareAdapter({ fallback: false, vendor: 'mesa', architecture: 'lavapipe', description: '' })).toBe(true);
    expect(isSoftwareAdapter({ fallback: false, vendor: '', architecture: '', description: 'softpipe' })).toBe(true);
    expect(isSoftwareAdapter(hardware)).toBe(false);
    expect(isSoftwareAdapter({ fallback: false, vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' })).toBe(false);
    expect(isSoftwareAdapter({ fallback: false, vendor: 'intel', architecture: 'gen-12lp', description: 'Intel(R) Iris(R) Xe Graphics (TGL GT2)' })).toBe(false);
    // whole words only: 'warp' inside another word is not WARP
    expect(isSoftwareAdapter({ fallback: false, vendor: 'nvidia', architecture: '', description: 'NVIDIA Warpspeed 9000' })).toBe(false);
    // an explicit fallback flag wins whatever the name
    expect(isSoftwareAdapter({ ...hardware, fallback: true })).toBe(true);
  });
});
