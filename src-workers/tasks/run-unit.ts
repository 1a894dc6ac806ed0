/**
 * Pool task: train one unit (architecture, seed), then run its diagnostics
 * and fits on the trained model (the last finite parameters when the run
 * diverged), and return plain data.
 *
 * `runUnit` is the plain function (usable in-process); the default export is
 * the piscina entry point, which forwards progress over the task's
 * MessagePort. The returned object is structured-cloneable (rows, typed
 * arrays and plain objects; the model stays in the worker).
 *
 * Cancellation: the stop flag is polled between training mini-batches and
 * between diagnostic batches / lags. A run cancelled during training skips
 * its diagnostics; one cancelled during its diagnostics returns without them.
 */
import type { ArchName, ExperimentConfig } from '../../src-shared/config';
import type { DiagnosticsStatus, RunDiagnostics } from '../../src-shared/results';
import { trainRun } from '../engine/train';
import { analyseRun } from './analyse-run';
import type { ProgressMessage, RunUnitInput, RunUnitOutput } from './protocol';

export interface RunUnitHooks {
  emit?(msg: ProgressMessage): void;
  shouldStop?(): boolean;
}

export interface RunUnitOptions {
  /** run the diagnostics and fits after training (default true) */
  diagnostics?: boolean;
}

class DiagnosticsCancelled extends Error {}

export function runUnit(
  config: ExperimentConfig, arch: ArchName, seed: number, hooks: RunUnitHooks = {}, opts: RunUnitOptions = {},
): RunUnitOutput {
  const t0 = performance.now();
  hooks.emit?.({ type: 'start', arch, seed });
  const res = trainRun(config, arch, seed, {
    hooks: {
      onEpoch: (row) => hooks.emit?.({ type: 'epoch', arch, seed, row: { ...row } }),
      ...(hooks.shouldStop ? { shouldStop: hooks.shouldStop } : {}),
    },
  });
  const t1 = performance.now();

  let diagnostics: RunDiagnostics | null = null;
  let diagnosticsStatus: DiagnosticsStatus = 'skipped';
  let diagnosticsError: string | undefined;
  let cancelled = res.cancelled;
  if ((opts.diagnostics ?? true) && !cancelled) {
    try {
      diagnostics = analyseRun(res.model, res.task, config, arch, {
        progress: (stage, done, total) => {
          if (hooks.shouldStop?.()) throw new DiagnosticsCancelled();
          hooks.emit?.({ type: 'diagnostics', arch, seed, stage, done, total });
        },
      });
      diagnosticsStatus = 'done';
    } catch (err) {
      if (err instanceof DiagnosticsCancelled) {
        cancelled = true;
        diagnosticsStatus = 'cancelled';
      } else {
        diagnosticsStatus = 'failed';
        diagnosticsError = err instanceof Error ? err.message : String(err);
      }
    }
  }
  const t2 = performance.now();

  return {
    arch,
    seed,
    curve: res.curve.map((r) => ({ ...r })),
    gateStats: res.gateStats.map((g) => ({ ...g })),
    diverged: res.diverged,
    divergedEpoch: res.divergedEpoch,
    cancelled,
    kernelsName: res.kernelsName,
    wallMs: t2 - t0,
    trainMs: t1 - t0,
    diagnosticsMs: t2 - t1,
    diagnosticsStatus,
    diagnostics,
    ...(diagnosticsError !== undefined ? { diagnosticsError } : {}),
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
    }, { diagnostics: input.diagnostics ?? true });
  } finally {
    port?.postMessage({ type: 'end', arch: input.arch, seed: input.seed } satisfies ProgressMessage);
    port?.close();
  }
}
