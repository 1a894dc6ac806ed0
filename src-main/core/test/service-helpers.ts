/**
 * Helpers of the service and scheduler tests: temporary data directories,
 * waiting for events, small configurations, and the test-only worker entries
 * (fixtures/), which are never used by the app.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ApiError, type ApiEvent } from '../../../src-shared/api';
import type { ExperimentConfig } from '../../../src-shared/config';
import { PRESETS } from '../../../src-shared/presets';
import type { RunRecord, RunStatus } from '../../../src-shared/results';
import { createService, type Service, type ServiceOptions } from '../service';

/** the real unit task, except seed 666 (throws) and seed 667 (process.exit(7) in the worker) */
export const FAULTY_WORKER = fileURLToPath(new URL('./fixtures/faulty-worker.mjs', import.meta.url));
/** follows the unit protocol without training: `epochs` epochs `gate_log_every` ms apart, no CPU */
export const PACED_WORKER = fileURLToPath(new URL('./fixtures/paced-worker.mjs', import.meta.url));

export function tempDir(prefix = 'lw-core-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The smoke preset, cut down further (a run trains and diagnoses in well under a second). */
export function tinyConfig(over: Partial<ExperimentConfig> = {}): Partial<ExperimentConfig> {
  return { Nseq_train: 16, Nseq_diag: 16, T: 24, lag_max: 12, task_lags: [2, 4], task_coeffs: [0.6, 0.5], epochs: 2, models: ['const'], seeds: [1], ...over };
}

/** A paced (fake) configuration: `epochs` epochs `ms` apart. */
export function pacedConfig(epochs: number, ms: number, over: Partial<ExperimentConfig> = {}): Partial<ExperimentConfig> {
  return { ...PRESETS.smoke, epochs, gate_log_every: ms, models: ['const'], seeds: [1], ...over };
}

/** A service in its own temporary data directory, with every event recorded. */
export function testService(opts: Partial<ServiceOptions> = {}): Service & { dir: string; events: ApiEvent[]; cleanup(): Promise<void> } {
  const t = tempDir();
  const service = createService({ dataDir: t.dir, host: 'web', workers: 2, warn: () => {}, ...opts });
  const events: ApiEvent[] = [];
  service.subscribe((e) => events.push(e));
  return Object.assign(service, {
    dir: t.dir,
    events,
    cleanup: async () => {
      await service.close();
      t.cleanup();
    },
  });
}

/** Resolve with the first event matching `pred` (from now on), or reject after `timeoutMs`. */
export function nextEvent<E extends ApiEvent>(
  service: Pick<Service, 'subscribe'>, pred: (e: ApiEvent) => e is E, timeoutMs?: number): Promise<E>;
export function nextEvent(service: Pick<Service, 'subscribe'>, pred: (e: ApiEvent) => boolean, timeoutMs?: number): Promise<ApiEvent>;
export function nextEvent(service: Pick<Service, 'subscribe'>, pred: (e: ApiEvent) => boolean, timeoutMs = 30_000): Promise<ApiEvent> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching event within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = service.subscribe((e) => {
      if (!pred(e)) return;
      clearTimeout(timer);
      off();
      resolve(e);
    });
  });
}

export function isStatus(runId: number, status: RunStatus) {
  return (e: ApiEvent): e is Extract<ApiEvent, { type: 'run-status' }> => e.type === 'run-status' && e.run.id === runId && e.run.status === status;
}

/** Poll `fn` every 10 ms until it returns a truthy value (or throw after `timeoutMs`). */
export async function until<T>(fn: () => T | null | undefined | false, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function statuses(runs: readonly RunRecord[]): RunStatus[] {
  return runs.map((r) => r.status);
}

/** The ApiError a call rejects with (fails the test when it resolves or rejects with another error). */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ApiError);
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}
