/**
 * `--gpu-runs N` of lw run, lw resume and lw serve: the most concurrent runs
 * whose resolved backend is webgpu (the scheduler's `gpuRuns`; each such run
 * holds its own device and GPU memory).
 */
import { DEFAULT_GPU_RUNS, MAX_GPU_RUNS } from '../core/scheduler';

export const GPU_RUNS_HELP = `most concurrent runs on the GPU (backend webgpu, or auto resolved to it; default ${DEFAULT_GPU_RUNS}, 1 to ${MAX_GPU_RUNS})`;

/** The value of `--gpu-runs`, or why it is refused (naming the flag and the range). */
export function parseGpuRuns(text: string): { ok: true; gpuRuns: number } | { ok: false; message: string } {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d{1,3}$/.test(t) || n < 1 || n > MAX_GPU_RUNS) {
    return { ok: false, message: `--gpu-runs must be an integer from 1 to ${MAX_GPU_RUNS} (got ${JSON.stringify(text)})` };
  }
  return { ok: true, gpuRuns: n };
}
