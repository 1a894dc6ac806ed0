/**
 * One compact line per event on stderr, e.g.
 *   [gru seed 212] epoch 3/20 train 0.41 val 0.4 R2 0.52
 *   [gru seed 212] diagnostics batch 2/4
 *   [gru seed 212] diagnostics lag 12/24
 */
import type { ArchName } from '../../src-shared/config';
import type { LearningCurveRow } from '../../src-shared/results';
import type { DiagnosticsStage } from '../../src-workers/tasks/protocol';

/** A number in at most 3 significant digits (exponent form below 1e-3). */
export function shortNumber(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x !== 0 && Math.abs(x) < 1e-3) return x.toExponential(1);
  if (Math.abs(x) >= 1e5) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

export function runLabel(arch: ArchName, seed: number): string {
  return `[${arch} seed ${seed}]`;
}

/** `epoch` in the row is 0-based; shown 1-based out of `epochs`. */
export function epochLine(arch: ArchName, seed: number, row: LearningCurveRow, epochs: number): string {
  return `${runLabel(arch, seed)} epoch ${row.epoch + 1}/${epochs} train ${shortNumber(row.train_loss)} val ${shortNumber(row.val_loss)} R2 ${shortNumber(row.val_acc)}`;
}

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms < 600_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

/** `[gru seed 212] diagnostics lag 12/24` (batch: diagnostic batches done; lag: lag statistics done). */
export function diagnosticsLine(arch: ArchName, seed: number, stage: DiagnosticsStage, done: number, total: number): string {
  return `${runLabel(arch, seed)} diagnostics ${stage} ${done}/${total}`;
}

/**
 * Whether step `done` of `total` gets a progress line: every step when there
 * are at most 10, otherwise the steps that cross a tenth of the total (and
 * the last one), so a long stage prints about ten lines.
 */
export function isProgressStep(done: number, total: number): boolean {
  if (total <= 10 || done >= total) return true;
  return Math.floor((10 * done) / total) > Math.floor((10 * (done - 1)) / total);
}
