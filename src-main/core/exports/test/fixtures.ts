/**
 * Test fixtures: a store in a temporary folder holding a smoke experiment
 * whose results are real engine outputs (runUnit = training + diagnostics +
 * fits), saved the way the scheduler saves them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExperimentConfig } from '../../../../src-shared/config';
import { PRESETS } from '../../../../src-shared/presets';
import type { ExperimentDetail, RunResult } from '../../../../src-shared/results';
import { runUnit } from '../../../../src-workers/tasks/run-unit';
import { openStore, type Store } from '../../store';

/** The smoke preset with two models and two seeds (4 runs of a few seconds in all). */
export function smokeConfig(over: Partial<ExperimentConfig> = {}): ExperimentConfig {
  return { ...PRESETS.smoke, models: ['const', 'gru'], seeds: [212, 1001], ...over };
}

export function tempFolder(prefix = 'lw-export-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store in <dir>/workstation.db with a fixed clock (2025-01-02 03:04:05 UTC). */
export function tempStore(dir: string): Store {
  return openStore({ dataDir: dir, now: () => Date.UTC(2025, 0, 2, 3, 4, 5) });
}

/** Store `result` as the outcome of the run (queued → running → its final status). */
export function saveResult(store: Store, runId: number, result: RunResult): void {
  store.setRunStatus(runId, 'running', { kernels: result.kernelsName });
  store.saveRunResult(runId, result);
}

/** Create the experiment and save each run's result from `resultOf` (null: leave the run as it is). */
export function storeExperiment(
  store: Store, name: string, cfg: ExperimentConfig, resultOf: (arch: string, seed: number) => RunResult | null,
  opts: { notes?: string; tags?: string[] } = {},
): ExperimentDetail {
  const exp = store.createExperiment(name, cfg, { preset: 'smoke', ...opts });
  for (const r of exp.runs) {
    const res = resultOf(r.arch, r.seed);
    if (res) saveResult(store, r.id, res);
  }
  return store.getExperiment(exp.id)!;
}

/** Real engine outputs for every (arch, seed) of the configuration, keyed `arch/seed`. */
export async function engineResults(cfg: ExperimentConfig): Promise<Map<string, RunResult>> {
  const out = new Map<string, RunResult>();
  for (const seed of cfg.seeds) {
    for (const arch of cfg.models) {
      const { arch: _a, seed: _s, ...res } = await runUnit(cfg, arch, seed);
      out.set(`${arch}/${seed}`, res);
    }
  }
  return out;
}
