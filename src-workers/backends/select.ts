/**
 * Backend selection (DESIGN.md §3): pure functions of the requested backend
 * and the WebGPU probe's answer (webgpu/probe.ts). No Node APIs here, so the
 * rules are tested without any process or GPU.
 *
 *   selectBackend('auto', probe)  → webgpu only for a usable hardware adapter
 *                                   (not isSoftwareAdapter: neither flagged as a
 *                                   fallback nor named like a software
 *                                   rasteriser); else cpu, with the reason
 *   webgpuProblem(probe)          → the refusal of an explicit `backend: webgpu`
 *                                   (field 'backend'), or null
 *   describeWebGpu(probe)         → the webgpu entry of SystemInfo.backends
 *   tuningAdapter(probe, allow)   → whether the host can tune its GPU kernels
 *                                   (service, lw tune): its adapter, or why not
 *
 * Software adapters (SwiftShader, lavapipe, WARP, …) are never picked by `auto`; an explicit
 * `webgpu` may use one (correctness tests, §7 of DESIGN). The `built`
 * parameters keep the rules of a version without the GPU kernels testable.
 */
import type { GpuTuningState } from '../../src-shared/gpu-tuning';

export type RequestedBackend = 'auto' | 'cpu' | 'webgpu';

/** What probeWebGpu found. Strings are '' when unknown. */
export interface WebGpuProbe {
  /** an adapter exists and gave a device */
  available: boolean;
  /** the adapter is a software one (adapter.info.isFallbackAdapter, or isSoftwareAdapter by name) */
  fallback: boolean;
  vendor: string;
  architecture: string;
  description: string;
  /** why it is not available (plain words), when it is not */
  reason?: string;
}

/**
 * Software rasterisers by name: Mesa's lavapipe/llvmpipe/softpipe, SwiftShader,
 * Microsoft's WARP ("Basic Render Driver"). Dawn marks CPU adapters with
 * isFallbackAdapter, but a driver that reports itself otherwise must still
 * never be taken by `auto` (issue 6: "never slower by default").
 */
const SOFTWARE_ADAPTER_NAME = /\b(llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render|warp)\b/i;

/** Whether an adapter is a software one: flagged as a fallback, or named like a known software rasteriser. */
export function isSoftwareAdapter(a: { fallback: boolean; vendor: string; architecture: string; description: string }): boolean {
  return a.fallback || SOFTWARE_ADAPTER_NAME.test(`${a.vendor} ${a.architecture} ${a.description}`);
}

export interface BackendChoice {
  backend: 'cpu' | 'webgpu';
  reason: string;
}

/** Whether the WGSL training kernels exist in this version (src-workers/backends/webgpu, issue 6). */
export const WEBGPU_BACKEND_BUILT: boolean = true;

const NO_ADAPTER = 'no WebGPU adapter';

/** Whether the probe saw an adapter at all (even one that gave no device). */
export function adapterFound(p: WebGpuProbe): boolean {
  return p.available || p.description !== '' || p.vendor !== '' || p.architecture !== '';
}

/** The adapter's name for messages: its description, else vendor and architecture. */
export function adapterLabel(p: Pick<WebGpuProbe, 'description' | 'vendor' | 'architecture'>): string {
  return p.description || [p.vendor, p.architecture].filter((s) => s !== '').join(' ') || 'an unnamed adapter';
}

/** "no WebGPU adapter" with the probe's reason, once. */
function noAdapterText(p: WebGpuProbe): string {
  if (!p.reason) return NO_ADAPTER;
  return p.reason.startsWith(NO_ADAPTER) ? p.reason : `${NO_ADAPTER} (${p.reason})`;
}

/** Why an adapter that was found is not usable. */
function unusableText(p: WebGpuProbe): string {
  return `WebGPU adapter ${adapterLabel(p)} is not usable${p.reason ? `: ${p.reason}` : ''}`;
}

/** The backend a run uses for `requested`, and why. Explicit requests are checked by webgpuProblem first. */
export function selectBackend(requested: RequestedBackend, probe: WebGpuProbe, built: boolean = WEBGPU_BACKEND_BUILT): BackendChoice {
  if (requested === 'cpu') return { backend: 'cpu', reason: 'cpu was asked for' };
  if (requested === 'webgpu') {
    return { backend: 'webgpu', reason: `webgpu was asked for (${adapterFound(probe) ? `adapter: ${adapterLabel(probe)}` : noAdapterText(probe)})` };
  }
  if (!adapterFound(probe)) return { backend: 'cpu', reason: noAdapterText(probe) };
  if (!probe.available) return { backend: 'cpu', reason: unusableText(probe) };
  if (isSoftwareAdapter(probe)) return { backend: 'cpu', reason: `only a software adapter: ${adapterLabel(probe)}` };
  if (!built) return { backend: 'cpu', reason: `a hardware WebGPU adapter was found (${adapterLabel(probe)}) but the GPU backend is not built yet` };
  return { backend: 'webgpu', reason: `hardware WebGPU adapter: ${adapterLabel(probe)}` };
}

/** The refusal of an explicit `backend: webgpu` (names the field and the adapter), or null when it can run. */
export function webgpuProblem(probe: WebGpuProbe, built: boolean = WEBGPU_BACKEND_BUILT): { field: 'backend'; message: string } | null {
  const found = adapterFound(probe);
  const adapter = found ? `detected adapter: ${adapterLabel(probe)}${isSoftwareAdapter(probe) ? ', a software fallback' : ''}` : NO_ADAPTER;
  if (!built) {
    return { field: 'backend', message: `backend webgpu is not available in this version (the GPU backend is not built yet; ${adapter}): use auto or cpu` };
  }
  if (probe.available) return null;
  return { field: 'backend', message: `backend webgpu is not available here (${found ? unusableText(probe) : noAdapterText(probe)}): use auto or cpu` };
}

/** The webgpu entry of SystemInfo.backends: available only when runs can use it. */
export function describeWebGpu(probe: WebGpuProbe, built: boolean = WEBGPU_BACKEND_BUILT):
  { name: 'webgpu'; available: boolean; description: string; fallback?: boolean } {
  const notBuilt = built ? '' : '; the GPU backend is not built yet, so runs use the CPU';
  if (!adapterFound(probe)) return { name: 'webgpu', available: false, description: `WebGPU: ${noAdapterText(probe)}${notBuilt}` };
  const kind = [probe.vendor, probe.architecture].filter((s) => s !== '').join(' ');
  const parts = [
    `WebGPU adapter: ${adapterLabel(probe)}${kind && probe.description ? ` (${kind})` : ''}`,
    ...(isSoftwareAdapter(probe) ? ['a software fallback adapter, never picked by auto'] : []),
  ];
  const usable = probe.available ? '' : `; not usable: ${probe.reason ?? 'unknown reason'}`;
  return {
    name: 'webgpu', available: built && probe.available, fallback: probe.fallback,
    description: `${parts.join(', ')}${usable}${notBuilt}`,
  };
}

/**
 * Whether this host can tune its GPU kernels (GpuTuningState.adapter /
 * unavailable): a hardware adapter can; none, or a software one unless
 * `allowSoftware` (tests on SwiftShader), cannot, with the reason.
 */
export function tuningAdapter(probe: WebGpuProbe, allowSoftware: boolean): Pick<GpuTuningState, 'adapter' | 'unavailable'> {
  if (!probe.available) {
    return { adapter: null, unavailable: `no hardware WebGPU adapter (${describeWebGpu(probe).description.replace(/^WebGPU: /, '')}): runs use the CPU, nothing to tune` };
  }
  const label = adapterLabel(probe);
  const software = isSoftwareAdapter(probe);
  if (software && !allowSoftware) {
    return {
      adapter: { label, software },
      unavailable: `no hardware WebGPU adapter: ${label} is a software adapter (its timings say nothing about a GPU, and runs use the CPU): nothing to tune`,
    };
  }
  return { adapter: { label, software }, unavailable: null };
}
