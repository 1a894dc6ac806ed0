/**
 * WebGPU in the test processes (issue 6): vitest.config.ts puts chromium's
 * Vulkan loader and SwiftShader on the environment before the forks start
 * (scripts/gpu/vulkan-env.mjs), so a device can be made here. With
 * LW_REQUIRE_WEBGPU=1 (CI, .ci/run) a missing adapter fails; otherwise it is
 * reported and the device check passes vacuously (the GPU parity tests skip
 * likewise). The variable rule itself is checked on a fake file system.
 */
import { describe, expect, it } from 'vitest';
import { chromiumVulkanEnv, type VulkanFs } from '../../scripts/gpu/vulkan-env.mjs';

const required = process.env.LW_REQUIRE_WEBGPU === '1';

describe('a WebGPU device in a vitest fork', () => {
  it('an adapter gives a device that copies a buffer and maps it back', async () => {
    const { create } = (await import('webgpu')) as unknown as { create(flags: string[]): GPU };
    const gpu = create([]);
    const adapter = await gpu.requestAdapter();
    if (!adapter) {
      const why = `no WebGPU adapter in this process (LD_LIBRARY_PATH=${process.env.LD_LIBRARY_PATH ?? ''}, VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? ''})`;
      if (required) expect.fail(`LW_REQUIRE_WEBGPU=1: ${why}`);
      console.warn(`webgpu-env.test: ${why}; set LW_REQUIRE_WEBGPU=1 to make this an error`);
      return;
    }
    const device = await adapter.requestDevice();
    try {
      const data = Float32Array.of(1.5, -2, 3.25, 1e-3);
      // GPUBufferUsage: MAP_READ 1, COPY_SRC 4, COPY_DST 8; GPUMapMode.READ 1
      const src = device.createBuffer({ size: data.byteLength, usage: 4 | 8 });
      const dst = device.createBuffer({ size: data.byteLength, usage: 1 | 8 });
      device.queue.writeBuffer(src, 0, data);
      const enc = device.createCommandEncoder();
      enc.copyBufferToBuffer(src, 0, dst, 0, data.byteLength);
      device.queue.submit([enc.finish()]);
      await dst.mapAsync(1);
      expect(Array.from(new Float32Array(dst.getMappedRange().slice(0)))).toEqual(Array.from(data));
      dst.unmap();
    } finally {
      device.destroy();
    }
  });
});

describe('chromiumVulkanEnv (the variables vitest, lw and the NVIDIA script set)', () => {
  const fs = (files: string[], icds: Record<string, string[]> = {}): VulkanFs => ({
    exists: (p) => files.includes(p),
    listJson: (d) => icds[d] ?? [],
    platform: 'linux',
  });
  const chromium = ['/usr/lib/chromium/libvulkan.so.1', '/usr/lib/chromium/vk_swiftshader_icd.json'];

  it('no system loader, chromium installed, no driver: chromium\'s loader and SwiftShader', () => {
    expect(chromiumVulkanEnv({}, fs(chromium))).toEqual({
      LD_LIBRARY_PATH: '/usr/lib/chromium', VK_ICD_FILENAMES: '/usr/lib/chromium/vk_swiftshader_icd.json',
    });
    expect(chromiumVulkanEnv({ LD_LIBRARY_PATH: '/opt/x' }, fs(chromium))!.LD_LIBRARY_PATH).toBe('/usr/lib/chromium:/opt/x');
  });

  it('a driver manifest (an NVIDIA driver without the loader package): the loader only, the driver is kept', () => {
    expect(chromiumVulkanEnv({}, fs(chromium, { '/usr/share/vulkan/icd.d': ['nvidia_icd.json'] }))).toEqual({ LD_LIBRARY_PATH: '/usr/lib/chromium' });
    expect(chromiumVulkanEnv({ VK_ICD_FILENAMES: '/x.json' }, fs(chromium))).toEqual({ LD_LIBRARY_PATH: '/usr/lib/chromium' });
  });

  it('nothing when a system loader exists, chromium\'s does not, it is set already, or not on Linux', () => {
    expect(chromiumVulkanEnv({}, fs([...chromium, '/usr/lib/x86_64-linux-gnu/libvulkan.so.1']))).toBeNull();
    expect(chromiumVulkanEnv({ LD_LIBRARY_PATH: '/opt/vk' }, fs([...chromium, '/opt/vk/libvulkan.so.1']))).toBeNull();
    expect(chromiumVulkanEnv({}, fs([]))).toBeNull();
    expect(chromiumVulkanEnv({ LD_LIBRARY_PATH: '/usr/lib/chromium' }, fs(chromium))).toBeNull();
    expect(chromiumVulkanEnv({}, { ...fs(chromium), platform: 'darwin' })).toBeNull();
  });
});
