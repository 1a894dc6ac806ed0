/**
 * NVIDIA's Vulkan driver on a machine without a display server.
 *
 * The driver's manifest (nvidia_icd.json) names libGLX_nvidia.so.0. Without
 * an X server that library refuses to create a Vulkan instance: on an H200
 * server (driver 580, in a container) the loader reported "Could not get
 * 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr' for ICD
 * libGLX_nvidia.so.0" and Dawn found no adapter, so WebGPU fell back to the
 * CPU. The same driver's libEGL_nvidia.so.0 exports the same Vulkan entry
 * points and works headless (measured there: the H200 adapter appeared).
 *
 * So, before the first WebGPU instance of a process: on Linux, with no
 * display (DISPLAY and WAYLAND_DISPLAY unset) and no driver list chosen by
 * the user (VK_DRIVER_FILES, VK_ICD_FILENAMES), when a manifest names
 * libGLX_nvidia and libEGL_nvidia.so.0 is installed, a manifest for the EGL
 * library is written to the temporary directory and the loader pointed at it
 * (the loader reads these variables when an instance is created, so setting
 * them in this process is enough). Every other machine is left alone.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where drivers install their manifests (the loader's own search, plus the NVIDIA container toolkit's mount). */
const ICD_DIRS = ['/etc/vulkan/icd.d', '/usr/share/vulkan/icd.d', '/usr/local/share/vulkan/icd.d', '/usr/local/nvidia/share/vulkan/icd.d'];
/** Where libEGL_nvidia.so.0 is found (after LD_LIBRARY_PATH's folders). */
const LIB_DIRS = [
  '/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/lib64', '/lib',
  '/usr/local/nvidia/lib64', '/usr/local/nvidia/lib',
];
const EGL_LIB = 'libEGL_nvidia.so.0';

export interface HeadlessFs {
  platform: string;
  exists(path: string): boolean;
  /** the .json files of a folder (none when it is missing) */
  listJson(dir: string): string[];
  read(path: string): string;
}

const nodeFs: HeadlessFs = {
  platform: process.platform,
  exists: existsSync,
  listJson: (dir) => {
    try {
      return readdirSync(dir).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  },
  read: (path) => readFileSync(path, 'utf8'),
};

/**
 * The manifest to use instead of NVIDIA's GLX one (its JSON text), or null
 * when the rule above does not apply.
 */
export function headlessNvidiaManifest(env: NodeJS.ProcessEnv = process.env, fs: HeadlessFs = nodeFs): string | null {
  if (fs.platform !== 'linux') return null;
  if (env['VK_DRIVER_FILES'] || env['VK_ICD_FILENAMES']) return null;
  if (env['DISPLAY'] || env['WAYLAND_DISPLAY']) return null;
  let glx: { file_format_version?: string; ICD?: { api_version?: string } } | null = null;
  for (const dir of ICD_DIRS) {
    for (const f of fs.listJson(dir)) {
      try {
        const j = JSON.parse(fs.read(join(dir, f))) as { file_format_version?: string; ICD?: { library_path?: string; api_version?: string } };
        if (/libGLX_nvidia\.so/.test(j.ICD?.library_path ?? '')) glx = j;
      } catch {
        // not a manifest we can read: the loader will judge it
      }
      if (glx) break;
    }
    if (glx) break;
  }
  if (!glx) return null;
  const dirs = [...(env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  const lib = dirs.map((d) => join(d, EGL_LIB)).find((p) => fs.exists(p));
  if (!lib) return null;
  return `${JSON.stringify({
    file_format_version: glx.file_format_version ?? '1.0.1',
    ICD: { library_path: lib, api_version: glx.ICD?.api_version ?? '1.3.0' },
  })}\n`;
}

let applied: string | null | undefined;

/**
 * Apply the rule once per process (before the first WebGPU instance);
 * returns the manifest's path when the loader was pointed at one.
 */
export function useHeadlessNvidiaDriver(): string | null {
  if (applied !== undefined) return applied;
  applied = null;
  const manifest = headlessNvidiaManifest();
  if (!manifest) return null;
  try {
    const dir = join(tmpdir(), `lw-vulkan-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'nvidia_egl_icd.json');
    writeFileSync(file, manifest);
    process.env['VK_DRIVER_FILES'] = file; // current loaders
    process.env['VK_ICD_FILENAMES'] = file; // older loaders
    applied = file;
  } catch {
    // a read-only temporary directory: the driver's own manifest is used
  }
  return applied;
}
