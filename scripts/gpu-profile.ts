/**
 * The benchmarks' per-kernel GPU time (src-workers/backends/webgpu/profiler.ts)
 * in a form to print and store: kernel labels grouped by what they do.
 */
import type { GpuProfile } from '../src-workers/backends/webgpu/profiler';

/**
 * A kernel label's group: the pass of the model (its arch prefix dropped),
 * the reductions (reductions.ts: the weight gradients, and the column sums
 * of the loss's Σd² and of the gate statistics, which share its kernels),
 * the rest as named.
 */
export function kernelGroup(label: string): string {
  if (label.startsWith('reduce-')) return 'reductions';
  if (label.startsWith('device loss')) return 'device loss'; // gate-block models compute it in place
  const m = /^(?:const|shared|diag|gru|lstm)-(.+)$/.exec(label);
  return m ? m[1]! : label;
}

/** ms per group over the profile, divided by `per` (e.g. the epochs profiled), largest first. */
export function groupedMs(p: GpuProfile, per = 1): Record<string, number> {
  const out = new Map<string, number>();
  for (const [label, t] of Object.entries(p.kernels)) {
    const g = kernelGroup(label);
    out.set(g, (out.get(g) ?? 0) + t.ms / per);
  }
  return Object.fromEntries([...out].sort((a, b) => b[1] - a[1]));
}

/** "forward-train 30.1, backward 12.0, …" (ms). */
export function formatGroups(groups: Record<string, number>): string {
  return Object.entries(groups).map(([g, ms]) => `${g} ${ms.toFixed(ms < 10 ? 2 : 1)}`).join(', ');
}
