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
 * library is written to a private temporary directory and the loader given
 * the driver list the standard folders hold with that manifest in place of
 * the GLX one (so no other driver disappears); the loader reads these
 * variables when an instance is created, so setting them in this process is
 * enough. Every other machine is left alone.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

export interface HeadlessPlan {
  /** the EGL manifest's JSON text */
  manifest: string;
  /** the other drivers' manifests the loader keeps seeing (paths), the EGL one going first */
  others: string[];
}

/**
 * What to give the loader instead of NVIDIA's GLX manifest, or null when the
 * rule above does not apply.
 */
export function headlessNvidiaPlan(env: NodeJS.ProcessEnv = process.env, fs: HeadlessFs = nodeFs): HeadlessPlan | null {
  if (fs.platform !== 'linux') return null;
  if (env['VK_DRIVER_FILES'] || env['VK_ICD_FILENAMES']) return null;
  if (env['DISPLAY'] || env['WAYLAND_DISPLAY']) return null;
  let glx: { file_format_version?: string; ICD?: { api_version?: string } } | null = null;
  const others: string[] = [];
  for (const dir of ICD_DIRS) {
    for (const f of fs.listJson(dir)) {
      const path = join(dir, f);
      let lib = '';
      try {
        const j = JSON.parse(fs.read(path)) as { file_format_version?: string; ICD?: { library_path?: string; api_version?: string } };
        lib = j.ICD?.library_path ?? '';
        if (/libGLX_nvidia\.so/.test(lib)) {
          glx ??= j;
          continue;
        }
      } catch {
        // not a manifest we can read: the loader will judge it
      }
      if (!others.includes(path)) others.push(path);
    }
  }
  if (!glx) return null;
  const dirs = [...(env['LD_LIBRARY_PATH'] ?? '').split(':').filter(Boolean), ...LIB_DIRS];
  const lib = dirs.map((d) => join(d, EGL_LIB)).find((p) => fs.exists(p));
  if (!lib) return null;
  const manifest = `${JSON.stringify({
    file_format_version: glx.file_format_version ?? '1.0.1',
    ICD: { library_path: lib, api_version: glx.ICD?.api_version ?? '1.3.0' },
  })}\n`;
  return { manifest, others };
}

let applied: string | null | undefined;

/**
 * Apply the rule once per process (before the first WebGPU instance):
 * returns the driver list given to the loader, or null when nothing was done.
 */
export function useHeadlessNvidiaDriver(): string | null {
  if (applied !== undefined) return applied;
  applied = null;
  const plan = headlessNvidiaPlan();
  if (!plan) return null;
  try {
    // a fresh directory of our own (mode 0700): nobody else can place or swap the manifest
    const dir = mkdtempSync(join(tmpdir(), 'lw-vulkan-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'nvidia_egl_icd.json');
    writeFileSync(file, plan.manifest, { flag: 'wx', mode: 0o600 });
    const list = [file, ...plan.others].join(':');
    process.env['VK_DRIVER_FILES'] = list; // current loaders
    process.env['VK_ICD_FILENAMES'] = list; // older loaders
    applied = list;
  } catch {
    // no writable temporary directory: the driver's own manifest is used
  }
  return applied;
}
