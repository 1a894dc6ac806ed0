/**
 * What the Settings view's "GPU kernel tuning" card shows (GpuTuningCard.vue),
 * as pure functions of the host's GpuTuningState and stored tunings.
 */
import type { ArchName } from '../../../../src-shared/config';
import { kernelShapeLabel, speedUpText, type GpuTuningRecord, type GpuTuningState, type RunKernelShape } from '../../../../src-shared/gpu-tuning';
import { PRESETS, type PresetName } from '../../../../src-shared/presets';
import { formatDate, formatNumber } from './format';

export type TuningPhase = 'idle' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

/** Where the host's tuning stands. */
export function tuningPhase(s: GpuTuningState | null): TuningPhase {
  if (!s || s.startedAt === null) return 'idle';
  if (s.active) return s.cancelled ? 'cancelling' : 'running';
  if (s.error !== null) return 'failed';
  return s.cancelled ? 'cancelled' : 'done';
}

/**
 * Whether `next` (an event's or a reply's state) replaces `current`: only a
 * newer one (higher seq) does, so a reply that arrives after a newer event
 * (say the end of the tuning) never takes the card back; an equal seq is the
 * same snapshot and keeps the current.
 */
export function isNewerTuningState(current: GpuTuningState | null, next: GpuTuningState): boolean {
  return current === null || next.seq > current.seq;
}

/**
 * Whether the stored tunings must be reloaded on `s` (a state just kept): it
 * has ended (stored what it found) after the last end seen, `lastFinishedAt`
 * (null: none yet). Any such state does, not only an active → inactive edge
 * (whose active state may never have been seen).
 */
export function tuningsReloadNeeded(lastFinishedAt: number | null, s: GpuTuningState): boolean {
  return !s.active && s.finishedAt !== null && (lastFinishedAt === null || s.finishedAt > lastFinishedAt);
}

/** Percent of a model shape's planned configurations done (0 before it starts; 100 once done reaches planned). */
export function modelPercent(m: { done: number; planned: number }): number {
  return m.planned > 0 ? Math.min(100, Math.round((100 * m.done) / m.planned)) : 0;
}

export interface TuningRow {
  id: number;
  adapter: string;
  arch: ArchName;
  D: number;
  H: number;
  ln: string;
  batch: number;
  shape: string;
  stepMs: string;
  defaultMs: string;
  speedUp: string;
  tunedAt: string;
}

/** A stored tuning as a table row. */
export function tuningRow(t: GpuTuningRecord): TuningRow {
  return {
    id: t.id, adapter: t.adapter, arch: t.arch, D: t.D, H: t.H, ln: t.layernorm ? 'yes' : 'no', batch: t.batch,
    shape: kernelShapeLabel(t.shape), stepMs: formatNumber(t.stepMs, 3), defaultMs: t.defaultStepMs === null ? '—' : formatNumber(t.defaultStepMs, 3),
    speedUp: speedUpText(t.stepMs, t.defaultStepMs), tunedAt: formatDate(t.tunedAt, true),
  };
}

/** "D 1, H 64, batch 32, T 100" of a preset (the shapes a tuning of it times), with layernorm when on. */
export function presetShapeText(preset: PresetName): string {
  const c = PRESETS[preset];
  return `D ${c.D}, H ${c.H}${c.layernorm ? ', layernorm' : ''}, batch ${c.batch_size}, T ${c.T}`;
}

/** The one-line status of the host's tuning. */
export function statusText(s: GpuTuningState | null): string {
  const phase = tuningPhase(s);
  if (!s || phase === 'idle') return 'No tuning has run since the host started.';
  const req = s.request;
  const what = req ? `${req.models.join(', ')} (D ${req.D}, H ${req.H}${req.layernorm ? ', layernorm' : ''}, batch ${req.batch}, T ${req.T})` : '';
  switch (phase) {
    case 'running': return `Tuning ${what}: budget ${req?.budgetSeconds ?? '?'} s…`;
    case 'cancelling': return `Cancelling the tuning of ${what} after its current configuration…`;
    case 'failed': return `The tuning of ${what} failed: ${s.error}`;
    default: {
      const r = s.result;
      const stored = r ? `${r.stored.length} tuning${r.stored.length === 1 ? '' : 's'} stored for ${r.adapter}` : 'nothing stored';
      const skipped = r && r.skippedForBudget > 0 ? `; ${r.skippedForBudget} configuration${r.skippedForBudget === 1 ? '' : 's'} skipped for the budget` : '';
      return `${phase === 'cancelled' ? 'Cancelled' : 'Finished'}: ${what}: ${stored}${skipped}${r?.fallback ? ' (a software adapter: these timings say nothing about a GPU)' : ''}.`;
    }
  }
}

/** A run's kernel shape for its details: "S 2, WG 128, unroll auto (tuned)"; '' for CPU runs and runs without one. */
export function runKernelShapeText(k: RunKernelShape | null | undefined): string {
  return k ? `${kernelShapeLabel(k)} (${k.source})` : '';
}
