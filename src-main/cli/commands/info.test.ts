/**
 * `lw info`: the report of what this machine gives the workstation. The
 * report is a pure function of the WebGPU probe (selection rules of
 * backends/select.ts), checked on the adapters that matter: a hardware GPU,
 * SwiftShader (flagged fallback), Mesa's lavapipe (software, not flagged),
 * none at all, and an adapter that gives no device. Then the real command,
 * which probes this machine's adapter (SwiftShader in CI).
 */
import { describe, expect, it } from 'vitest';
import type { WebGpuProbe } from '../../../src-workers/backends/select';
import { memoryIO } from '../io';
import { runCli } from '../lw';
import { formatMachineInfo, machineInfo, type MachineInfo } from './info';

const env = { version: '9.9.9', node: 'v20.0.0', platform: 'linux x64', cores: 16, cpuKernels: 'wasm-simd-f32', dataDir: '/data/lw', dataDirSource: 'option' };
const hardware: WebGpuProbe = { available: true, fallback: false, vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100 80GB HBM3' };
const swiftshader: WebGpuProbe = { available: true, fallback: true, vendor: 'google', architecture: 'swiftshader', description: 'SwiftShader driver 5.0.0' };
const lavapipe: WebGpuProbe = { available: true, fallback: false, vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 17.0.6, 256 bits)' };
const none: WebGpuProbe = { available: false, fallback: false, vendor: '', architecture: '', description: '', reason: "no WebGPU adapter (Couldn't load Vulkan)" };
const noDevice: WebGpuProbe = { ...hardware, available: false, reason: 'requestDevice failed: out of memory' };

describe('machineInfo', () => {
  it('a hardware GPU: auto takes webgpu, an explicit webgpu is accepted', () => {
    const m = machineInfo(hardware, env);
    expect(m.auto).toEqual({ backend: 'webgpu', reason: 'hardware WebGPU adapter: NVIDIA H100 80GB HBM3' });
    expect(m.explicitWebgpu).toBeNull();
    expect(m.webgpu).toMatchObject({ found: true, available: true, software: false, vendor: 'nvidia' });
    expect(m).toMatchObject({ cores: 16, cpuKernels: 'wasm-simd-f32', dataDir: '/data/lw', version: '9.9.9' });
  });

  it('software adapters, flagged or only named so: auto stays on the CPU and says why', () => {
    for (const p of [swiftshader, lavapipe]) {
      const m = machineInfo(p, env);
      expect(m.auto).toEqual({ backend: 'cpu', reason: `only a software adapter: ${p.description}` });
      expect(m.webgpu.software).toBe(true);
      expect(m.explicitWebgpu).toBeNull(); // allowed on purpose: correctness checks
      const lines = formatMachineInfo(m, p).join('\n');
      expect(lines).toContain('backend auto    cpu (only a software adapter');
      expect(lines).toContain('accepted (runs on the software adapter');
    }
  });

  it('no adapter, or one without a device: auto on the CPU with the probe reason; webgpu refused naming why', () => {
    const m = machineInfo(none, env);
    expect(m.webgpu).toMatchObject({ found: false, available: false, software: false, reason: "no WebGPU adapter (Couldn't load Vulkan)" });
    expect(m.auto).toEqual({ backend: 'cpu', reason: "no WebGPU adapter (Couldn't load Vulkan)" });
    expect(m.explicitWebgpu).toMatch(/^backend webgpu is not available here \(no WebGPU adapter/);
    const d = machineInfo(noDevice, env);
    expect(d.auto.backend).toBe('cpu');
    expect(d.auto.reason).toContain('requestDevice failed: out of memory');
    expect(formatMachineInfo(d, noDevice).join('\n')).toContain('backend webgpu  refused: backend webgpu is not available here');
  });

  it('says when the workstation chose NVIDIA\'s EGL driver (no display), or which driver list the user gave', () => {
    const drivers = '/tmp/lw-vulkan-x/nvidia_egl_icd.json:/usr/share/vulkan/icd.d/radeon.json';
    const h = machineInfo(hardware, { ...env, vulkan: { drivers, headlessNvidia: true } });
    expect(h.vulkan).toEqual({ drivers, headlessNvidia: true });
    expect(formatMachineInfo(h, hardware)).toContain(
      `Vulkan          NVIDIA through its EGL library (no display: its GLX manifest creates no Vulkan instance); VK_DRIVER_FILES=${drivers}`);
    const u = formatMachineInfo(machineInfo(hardware, { ...env, vulkan: { drivers: '/x.json', headlessNvidia: false } }), hardware);
    expect(u).toContain('Vulkan          VK_DRIVER_FILES=/x.json');
  });

  it('the text report has one labelled line per item', () => {
    const lines = formatMachineInfo(machineInfo(hardware, env), hardware);
    expect(lines.map((l) => l.slice(0, 16).trim())).toEqual(['lw', 'CPU', 'WebGPU', 'backend auto', 'backend webgpu', 'data directory']);
    expect(lines[1]).toBe('CPU             16 cores, kernels wasm-simd-f32; one run per worker thread');
    expect(lines[5]).toBe('data directory  /data/lw (option)');
  });

  it('the GPU tunings stored for the adapter (lw tune), when it is usable', () => {
    const m = machineInfo(hardware, { ...env, gpuTunings: 3 });
    expect(m.gpuTunings).toBe(3);
    expect(formatMachineInfo(m, hardware)).toContain('GPU tunings     3 stored for this adapter (webgpu runs of their shapes use them; lw tune --list)');
    expect(formatMachineInfo(machineInfo(hardware, { ...env, gpuTunings: 0 }), hardware)).toContain('GPU tunings     0 stored for this adapter (lw tune makes them)');
    // no usable adapter: no line (nothing could use a tuning)
    expect(machineInfo(none, { ...env, gpuTunings: 3 }).gpuTunings).toBeNull();
    expect(formatMachineInfo(machineInfo(none, env), none).some((l) => l.startsWith('GPU tunings'))).toBe(false);
  });
});

describe('lw info (this machine)', () => {
  it('--json reports a consistent choice for the adapter the probe finds', async () => {
    const io = memoryIO();
    const code = await runCli(['info', '--json', '--data-dir', '/tmp/lw-info-test'], io);
    expect(code).toBe(0);
    const m = JSON.parse(io.stdout.join('\n')) as MachineInfo;
    expect(m.dataDir).toBe('/tmp/lw-info-test');
    expect(m.cores).toBeGreaterThanOrEqual(1);
    expect(['wasm-simd-f32', 'ts-f32']).toContain(m.cpuKernels);
    const gpu = m.webgpu.found && m.webgpu.available && !m.webgpu.software;
    expect(m.auto.backend).toBe(gpu ? 'webgpu' : 'cpu');
    expect(m.explicitWebgpu === null).toBe(m.webgpu.available);
    // CI (LW_REQUIRE_WEBGPU=1) has SwiftShader: found, usable, software, never taken by auto
    if (process.env['LW_REQUIRE_WEBGPU'] === '1') {
      expect(m.webgpu.found).toBe(true);
      expect(m.webgpu.available).toBe(true);
    }
  });
});
