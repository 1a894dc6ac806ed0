/**
 * Pool task: train one unit (architecture, seed) and return its rows.
 *
 * `runUnit` is the plain function (usable in-process); the default export is
 * the piscina entry point, which forwards progress over the task's
 * MessagePort. The returned object is structured-cloneable (rows only; the
 * trained model stays in the worker).
 */
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import { trainRun } from '../engine/train';
import type { ProgressMessage, RunUnitInput, RunUnitOutput } from './protocol';

export interface RunUnitHooks {
  emit?(msg: ProgressMessage): void;
  shouldStop?(): boolean;
}

export function runUnit(config: ExperimentConfig, arch: ArchName, seed: number, hooks: RunUnitHooks = {}): RunUnitOutput {
  const t0 = performance.now();
  hooks.emit?.({ type: 'start', arch, seed });
  const res = trainRun(config, arch, seed, {
    hooks: {
      onEpoch: (row) => hooks.emit?.({ type: 'epoch', arch, seed, row: { ...row } }),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
    },
  });
  return {
    arch,
    seed,
    curve: res.curve.map((r) => ({ ...r })),
    gateStats: res.gateStats.map((g) => ({ ...g })),
    diverged: res.diverged,
    divergedEpoch: res.divergedEpoch,
    cancelled: res.cancelled,
    kernelsName: res.kernelsName,
    wallMs: performance.now() - t0,
  };
}

/** piscina entry point */
export default function runUnitTask(input: RunUnitInput): RunUnitOutput {
  const flag = input.stopFlag ? new Int32Array(input.stopFlag) : null;
  const port = input.port;
  try {
    return runUnit(input.config, input.arch, input.seed, {
      ...(port ? { emit: (m: ProgressMessage) => port.postMessage(m) } : {}),
      ...(flag ? { shouldStop: () => Atomics.load(flag, 0) !== 0 } : {}),
    });
  } finally {
    port?.postMessage({ type: 'end', arch: input.arch, seed: input.seed } satisfies ProgressMessage);
    port?.close();
  }
}
