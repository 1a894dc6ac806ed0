/**
 * `lw info [--json] [--data-dir DIR]`: what this machine gives the
 * workstation, for a researcher asking "will my runs use the GPU, and if not,
 * why?" (issue 6: auto falls back to the CPU with a reason): the CPU cores
 * and kernel set, the WebGPU adapter the workers would get (hardware or
 * software), what `backend: auto` resolves to here and why, whether an
 * explicit `backend: webgpu` would be accepted, how many GPU kernel tunings
 * (`lw tune`) are stored for that adapter, and the data directory.
 *
 * The adapter is probed the way the scheduler does it (a short-lived child
 * process, src-workers/backends/webgpu/probe.ts), with the same Vulkan loader
 * environment: bin/lw.mjs re-executes `lw info` like `lw run`.
 */
import { availableParallelism, arch as cpuArch, platform } from 'node:os';
import type { Command } from 'commander';
import {
  adapterFound, adapterLabel, describeWebGpu, isSoftwareAdapter, selectBackend, webgpuProblem, type WebGpuProbe,
} from '../../../src-workers/backends/select';
import { useHeadlessNvidiaDriver } from '../../../src-workers/backends/webgpu/nvidia-headless';
import { probeWebGpu } from '../../../src-workers/backends/webgpu/probe';
import { cpuKernelName } from '../../core/cpu-kernels';
import { DEFAULT_GPU_RUNS } from '../../core/scheduler';
import { resolveDataDir } from '../../core/store';
import { storedTuningsCount } from '../stored-tunings';
import type { CliIO } from '../io';
import { EXIT_OK } from './run';

export interface MachineInfo {
  version: string;
  node: string;
  platform: string;
  cores: number;
  /** the CPU kernel set a worker picks ('wasm-simd-f32' or 'ts-f32') */
  cpuKernels: string;
  webgpu: {
    /** an adapter was found (usable or not) */
    found: boolean;
    /** it gave a device */
    available: boolean;
    software: boolean;
    vendor: string;
    architecture: string;
    description: string;
    /** why it is missing or unusable */
    reason: string | null;
  };
  /** what `backend: auto` resolves to on this machine, and why */
  auto: { backend: 'cpu' | 'webgpu'; reason: string };
  /** null when `backend: webgpu` would be accepted, else the refusal */
  explicitWebgpu: string | null;
  defaultGpuRuns: number;
  /**
   * The Vulkan driver list the loader is given (VK_DRIVER_FILES), null when
   * it searches on its own; `headlessNvidia`: the workstation set it (no
   * display: NVIDIA's EGL library in place of its GLX one, nvidia-headless.ts)
   */
  vulkan: { drivers: string | null; headlessNvidia: boolean };
  /** GPU kernel tunings stored for this adapter in the data directory (lw tune); null: no usable adapter, or the database cannot be read as is */
  gpuTunings: number | null;
  dataDir: string;
  dataDirSource: string;
}

/** The report of `lw info` from its inputs (pure: tested without a GPU). */
export function machineInfo(
  probe: WebGpuProbe,
  env: {
    version: string; node: string; platform: string; cores: number; cpuKernels: string; dataDir: string; dataDirSource: string;
    vulkan?: MachineInfo['vulkan'];
    gpuTunings?: number | null;
  },
): MachineInfo {
  const auto = selectBackend('auto', probe);
  return {
    version: env.version,
    node: env.node,
    platform: env.platform,
    cores: env.cores,
    cpuKernels: env.cpuKernels,
    webgpu: {
      found: adapterFound(probe),
      available: probe.available,
      software: adapterFound(probe) && isSoftwareAdapter(probe),
      vendor: probe.vendor,
      architecture: probe.architecture,
      description: probe.description,
      reason: probe.reason ?? null,
    },
    auto: { backend: auto.backend, reason: auto.reason },
    explicitWebgpu: webgpuProblem(probe)?.message ?? null,
    defaultGpuRuns: DEFAULT_GPU_RUNS,
    vulkan: env.vulkan ?? { drivers: null, headlessNvidia: false },
    gpuTunings: probe.available ? (env.gpuTunings ?? null) : null,
    dataDir: env.dataDir,
    dataDirSource: env.dataDirSource,
  };
}

/** The human-readable lines of the report. */
export function formatMachineInfo(m: MachineInfo, probe: WebGpuProbe): string[] {
  const row = (k: string, v: string) => `${k.padEnd(16)}${v}`;
  return [
    row('lw', `${m.version} (node ${m.node}, ${m.platform})`),
    row('CPU', `${m.cores} cores, kernels ${m.cpuKernels}; one run per worker thread`),
    row('WebGPU', describeWebGpu(probe).description.replace(/^WebGPU( adapter)?: /, '')),
    row('backend auto', `${m.auto.backend} (${m.auto.reason})`),
    row('backend webgpu', m.explicitWebgpu === null
      ? `accepted${m.webgpu.software ? ' (runs on the software adapter: for correctness checks, slow)' : ''}; `
        + `at most ${m.defaultGpuRuns} GPU runs at once by default (--gpu-runs)`
      : `refused: ${m.explicitWebgpu}`),
    ...(m.vulkan.headlessNvidia
      ? [row('Vulkan', `NVIDIA through its EGL library (no display: its GLX manifest creates no Vulkan instance); VK_DRIVER_FILES=${m.vulkan.drivers}`)]
      : m.vulkan.drivers !== null ? [row('Vulkan', `VK_DRIVER_FILES=${m.vulkan.drivers}`)] : []),
    ...(m.gpuTunings !== null
      ? [row('GPU tunings', `${m.gpuTunings} stored for this adapter${m.gpuTunings > 0 ? ' (webgpu runs of their shapes use them; lw tune --list)' : ' (lw tune makes them)'}`)]
      : []),
    row('data directory', `${m.dataDir} (${m.dataDirSource})`),
  ];
}

export function register(program: Command, io: CliIO, version: string): void {
  program
    .command('info')
    .description('show what this machine gives the workstation: CPU kernels, the WebGPU adapter, and what backend auto picks here and why')
    .option('--json', 'print the report as one JSON object')
    .option('--data-dir <dir>', 'data directory (default: as lw run)')
    .action(async (opts: { json?: boolean; dataDir?: string }) => {
      const probe = await probeWebGpu();
      const headless = useHeadlessNvidiaDriver(); // applied (once) by the probe already: this reads its answer
      const dd = resolveDataDir({ dataDir: opts.dataDir });
      const m = machineInfo(probe, {
        version,
        node: process.version,
        platform: `${platform()} ${cpuArch()}`,
        cores: availableParallelism(),
        cpuKernels: cpuKernelName(),
        dataDir: dd.dir,
        dataDirSource: dd.source,
        vulkan: { drivers: process.env['VK_DRIVER_FILES'] ?? null, headlessNvidia: headless !== null },
        gpuTunings: probe.available ? storedTuningsCount(dd.dir, adapterLabel(probe)) : null,
      });
      if (opts.json) io.out(JSON.stringify(m, null, 2));
      else for (const l of formatMachineInfo(m, probe)) io.out(l);
      io.setExitCode(EXIT_OK);
    });
}
