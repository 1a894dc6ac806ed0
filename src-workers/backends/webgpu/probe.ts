/**
 * WebGPU adapter detection (DESIGN.md §3, §6), for backend selection and the
 * Settings page.
 *
 *   const p = await probeWebGpu();   // { available, fallback, vendor, architecture, description, reason? }
 *
 * The probe runs in a SHORT-LIVED CHILD PROCESS (node, or Electron as node),
 * never in this process:
 *  - a GPU driver may hang in native code (worker.terminate() cannot interrupt
 *    a blocked native call) or crash the process (a segfault in a driver
 *    kills every thread); a child is killed at the timeout and its crash is
 *    a plain reason here;
 *  - the Vulkan loader reads VK_ICD_FILENAMES / LD_LIBRARY_PATH once per
 *    process, and dawn.node, once loaded, stays loaded with its threads: the
 *    host stays clean and the environment can differ per probe (tests);
 *  - its source is inlined (`--eval`), so a bundled app has no extra file to
 *    ship; only the `webgpu` package must be resolvable.
 * Cost: one node start plus Dawn's adapter enumeration, about 0.1 s here.
 *
 * Every failure (module missing, no adapter, requestDevice failing, timeout,
 * crash) resolves to available: false with a plain reason; the promise never
 * rejects. probeWebGpu() caches its answer per process.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { isSoftwareAdapter, type WebGpuProbe } from '../select';
import { useHeadlessNvidiaDriver } from './nvidia-headless';

export type { WebGpuProbe } from '../select';

export const DEFAULT_PROBE_TIMEOUT_MS = 10_000;
const MAX_OUTPUT = 64 * 1024;

export interface ProbeOptions {
  /** the child's environment (default: this process's) */
  env?: NodeJS.ProcessEnv;
  /** kill the child after this long (default 10 s) */
  timeoutMs?: number;
  /** URL of the module exporting `create` (default: the installed `webgpu` package; tests pass fakes) */
  moduleUrl?: string;
}

/**
 * The child: loads the module, asks for an adapter and a device, prints one
 * JSON line and exits (Dawn may keep threads alive, so it exits explicitly).
 */
const CHILD_SOURCE = `
const msg = (e) => (e && e.message) ? String(e.message) : String(e);
const none = { available: false, fallback: false, vendor: '', architecture: '', description: '' };
async function probe() {
  let mod;
  try { mod = await import(process.env.LW_WEBGPU_MODULE); }
  catch (e) { return { ...none, reason: 'the webgpu module could not be loaded: ' + msg(e) }; }
  let gpu;
  try { gpu = mod.create([]); }
  catch (e) { return { ...none, reason: 'WebGPU could not be initialised: ' + msg(e) }; }
  let adapter;
  try { adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' }); }
  catch (e) { return { ...none, reason: 'requestAdapter failed: ' + msg(e) }; }
  if (!adapter) return { ...none, reason: 'no WebGPU adapter' };
  const info = adapter.info || {};
  const found = {
    fallback: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
    vendor: String(info.vendor || ''), architecture: String(info.architecture || ''), description: String(info.description || ''),
  };
  try {
    const device = await adapter.requestDevice();
    if (!device) return { ...found, available: false, reason: 'the adapter gave no device' };
    device.destroy();
  } catch (e) {
    return { ...found, available: false, reason: 'requestDevice failed: ' + msg(e) };
  }
  return { ...found, available: true };
}
probe().then(
  (r) => process.stdout.write(JSON.stringify(r) + '\\n', () => process.exit(0)),
  (e) => process.stdout.write(JSON.stringify({ ...none, reason: 'the probe failed: ' + msg(e) }) + '\\n', () => process.exit(0)),
);
`;

function unavailable(reason: string): WebGpuProbe {
  return { available: false, fallback: false, vendor: '', architecture: '', description: '', reason };
}

/** The installed `webgpu` package's URL, or null when it is not installed. */
function webgpuModuleUrl(): string | null {
  try {
    return pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return null;
  }
}

/** The first meaningful line Dawn or node wrote to stderr ("Warning: Couldn't load Vulkan: …"). */
function stderrNote(stderr: string): string {
  const line = stderr.split('\n').map((s) => s.trim()).find((s) => s !== '' && !s.startsWith('at '));
  return line ? line.replace(/^Warning:\s*/, '').slice(0, 300) : '';
}

/** Check the child's JSON line field by field (it is another process's output). */
function parseAnswer(stdout: string): WebGpuProbe | null {
  const line = stdout.trim().split('\n').at(-1);
  if (!line) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x.slice(0, 500) : '');
  const named = { vendor: str(o.vendor), architecture: str(o.architecture), description: str(o.description) };
  const p: WebGpuProbe = { available: o.available === true, fallback: isSoftwareAdapter({ fallback: o.fallback === true, ...named }), ...named };
  if (!p.available) p.reason = str(o.reason) || 'unknown reason';
  return p;
}

/** One probe in a fresh child process (no cache). Never rejects. */
export function runWebGpuProbe(opts: ProbeOptions = {}): Promise<WebGpuProbe> {
  const moduleUrl = opts.moduleUrl ?? webgpuModuleUrl();
  if (!moduleUrl) return Promise.resolve(unavailable('the webgpu package is not installed'));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let settled = false;
    let timedOut = false;
    const done = (p: WebGpuProbe) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(p);
    };
    const child = spawn(process.execPath, ['--input-type=module', '--eval', CHILD_SOURCE], {
      // ELECTRON_RUN_AS_NODE: inside Electron, execPath is Electron itself
      env: { ...(opts.env ?? process.env), LW_WEBGPU_MODULE: moduleUrl, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (s: string) => { if (stdout.length < MAX_OUTPUT) stdout += s; });
    child.stderr.setEncoding('utf8').on('data', (s: string) => { if (stderr.length < MAX_OUTPUT) stderr += s; });
    child.on('error', (err) => done(unavailable(`the WebGPU probe could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (timedOut) return done(unavailable(`the WebGPU probe did not answer within ${timeoutMs / 1000} s (a GPU driver may hang)`));
      const note = stderrNote(stderr);
      const answer = code === 0 ? parseAnswer(stdout) : null;
      if (!answer) {
        const how = signal ? `was killed by ${signal}` : code === 0 ? 'gave no answer' : `exited with code ${code}`;
        return done(unavailable(`the WebGPU probe ${how}${note ? `: ${note}` : ''}`));
      }
      // Dawn explains a missing adapter only on stderr ("Couldn't load Vulkan: …")
      if (!answer.available && !answer.description && answer.reason === 'no WebGPU adapter' && note) answer.reason += ` (${note})`;
      done(answer);
    });
  });
}

let cached: Promise<WebGpuProbe> | null = null;

/** The WebGPU adapter of this machine, probed once per process (in a child, with a timeout). */
export function probeWebGpu(): Promise<WebGpuProbe> {
  useHeadlessNvidiaDriver(); // this process's environment, which the child (and the run workers) inherit
  cached ??= runWebGpuProbe();
  return cached;
}
