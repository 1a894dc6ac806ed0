/**
 * The headless NVIDIA rule (nvidia-headless.ts) on imagined machines: it
 * applies only to Linux without a display or a user's driver choice, with
 * NVIDIA's GLX manifest and the EGL library both present; the manifest it
 * writes names the EGL library by its absolute path and keeps the driver's
 * API version.
 */
import { describe, expect, it } from 'vitest';
import { headlessNvidiaManifest, type HeadlessFs } from './nvidia-headless';

const GLX = JSON.stringify({ file_format_version: '1.0.1', ICD: { library_path: 'libGLX_nvidia.so.0', api_version: '1.4.312' } });

function machine(files: Record<string, string>, platform = 'linux'): HeadlessFs {
  return {
    platform,
    exists: (p) => p in files,
    listJson: (dir) => Object.keys(files).filter((p) => p.startsWith(`${dir}/`) && p.endsWith('.json')).map((p) => p.slice(dir.length + 1)),
    read: (p) => {
      if (!(p in files)) throw new Error(`ENOENT ${p}`);
      return files[p]!;
    },
  };
}

const server = {
  '/usr/share/vulkan/icd.d/nvidia_icd.json': GLX,
  '/usr/local/nvidia/lib64/libEGL_nvidia.so.0': '',
};

describe('headless NVIDIA Vulkan driver', () => {
  it('a display-less server with the GLX manifest gets a manifest for the EGL library', () => {
    const m = headlessNvidiaManifest({}, machine(server));
    expect(m).not.toBeNull();
    expect(JSON.parse(m!)).toEqual({ file_format_version: '1.0.1', ICD: { library_path: '/usr/local/nvidia/lib64/libEGL_nvidia.so.0', api_version: '1.4.312' } });
  });

  it('finds the library on LD_LIBRARY_PATH first, and the manifest in the container toolkit folder', () => {
    const files = {
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': GLX,
      '/opt/drv/libEGL_nvidia.so.0': '',
      '/usr/lib/x86_64-linux-gnu/libEGL_nvidia.so.0': '',
    };
    const m = headlessNvidiaManifest({ LD_LIBRARY_PATH: '/nowhere:/opt/drv' }, machine(files));
    expect(JSON.parse(m!).ICD.library_path).toBe('/opt/drv/libEGL_nvidia.so.0');
  });

  it('leaves every other machine alone', () => {
    expect(headlessNvidiaManifest({ DISPLAY: ':0' }, machine(server))).toBeNull();
    expect(headlessNvidiaManifest({ WAYLAND_DISPLAY: 'wayland-0' }, machine(server))).toBeNull();
    expect(headlessNvidiaManifest({ VK_DRIVER_FILES: '/x.json' }, machine(server))).toBeNull();
    expect(headlessNvidiaManifest({ VK_ICD_FILENAMES: '/x.json' }, machine(server))).toBeNull();
    expect(headlessNvidiaManifest({}, machine(server, 'darwin'))).toBeNull();
    // no EGL library
    expect(headlessNvidiaManifest({}, machine({ '/usr/share/vulkan/icd.d/nvidia_icd.json': GLX }))).toBeNull();
    // no NVIDIA GLX manifest: another driver, an unreadable file, or NVIDIA's manifest already naming EGL
    const other = JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libvulkan_radeon.so', api_version: '1.3.0' } });
    const egl = JSON.stringify({ file_format_version: '1.0.1', ICD: { library_path: 'libEGL_nvidia.so.0', api_version: '1.4.312' } });
    for (const manifest of [other, '{ not json', egl]) {
      expect(headlessNvidiaManifest({}, machine({ '/usr/share/vulkan/icd.d/a.json': manifest, '/usr/lib/libEGL_nvidia.so.0': '' }))).toBeNull();
    }
  });
});
