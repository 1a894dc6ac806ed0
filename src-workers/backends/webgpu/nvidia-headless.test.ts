/**
 * The headless NVIDIA rule (nvidia-headless.ts) on imagined machines: it
 * applies only to Linux without a display or a user's driver choice, with
 * NVIDIA's GLX manifest and the EGL library both present; the manifest it
 * writes names the EGL library by its absolute path and keeps the driver's
 * API version, and every other driver's manifest stays in the list.
 */
import { describe, expect, it } from 'vitest';
import { headlessNvidiaPlan, type HeadlessFs } from './nvidia-headless';

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
    const p = headlessNvidiaPlan({}, machine(server));
    expect(p).not.toBeNull();
    expect(JSON.parse(p!.manifest)).toEqual({ file_format_version: '1.0.1', ICD: { library_path: '/usr/local/nvidia/lib64/libEGL_nvidia.so.0', api_version: '1.4.312' } });
    expect(p!.others).toEqual([]);
  });

  it("keeps every other driver's manifest (another GPU, a software rasteriser), never the GLX one", () => {
    const radeon = JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libvulkan_radeon.so', api_version: '1.3.0' } });
    const p = headlessNvidiaPlan({}, machine({ ...server, '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json': radeon, '/etc/vulkan/icd.d/odd.json': '{ not json' }));
    expect(p!.others.sort()).toEqual(['/etc/vulkan/icd.d/odd.json', '/usr/share/vulkan/icd.d/radeon_icd.x86_64.json']);
  });

  it('finds the library on LD_LIBRARY_PATH first, and the manifest in the container toolkit folder', () => {
    const files = {
      '/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json': GLX,
      '/opt/drv/libEGL_nvidia.so.0': '',
      '/usr/lib/x86_64-linux-gnu/libEGL_nvidia.so.0': '',
    };
    const p = headlessNvidiaPlan({ LD_LIBRARY_PATH: '/nowhere:/opt/drv' }, machine(files));
    expect(JSON.parse(p!.manifest).ICD.library_path).toBe('/opt/drv/libEGL_nvidia.so.0');
  });

  it('leaves every other machine alone', () => {
    expect(headlessNvidiaPlan({ DISPLAY: ':0' }, machine(server))).toBeNull();
    expect(headlessNvidiaPlan({ WAYLAND_DISPLAY: 'wayland-0' }, machine(server))).toBeNull();
    expect(headlessNvidiaPlan({ VK_DRIVER_FILES: '/x.json' }, machine(server))).toBeNull();
    expect(headlessNvidiaPlan({ VK_ICD_FILENAMES: '/x.json' }, machine(server))).toBeNull();
    expect(headlessNvidiaPlan({}, machine(server, 'darwin'))).toBeNull();
    // no EGL library
    expect(headlessNvidiaPlan({}, machine({ '/usr/share/vulkan/icd.d/nvidia_icd.json': GLX }))).toBeNull();
    // no NVIDIA GLX manifest: another driver, an unreadable file, or NVIDIA's manifest already naming EGL
    const other = JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: 'libvulkan_radeon.so', api_version: '1.3.0' } });
    const egl = JSON.stringify({ file_format_version: '1.0.1', ICD: { library_path: 'libEGL_nvidia.so.0', api_version: '1.4.312' } });
    for (const manifest of [other, '{ not json', egl]) {
      expect(headlessNvidiaPlan({}, machine({ '/usr/share/vulkan/icd.d/a.json': manifest, '/usr/lib/libEGL_nvidia.so.0': '' }))).toBeNull();
    }
  });
});
