/** An experiment's overall status and progress from its runs' counts. */
import type { ExperimentSummary, RunProgress, RunStatus } from '../../../../src-shared/results';

export type ExperimentStatus = 'running' | 'queued' | 'interrupted' | 'done' | 'partial' | 'failed' | 'cancelled' | 'empty';

export function experimentStatus(p: RunProgress): ExperimentStatus {
  if (p.total === 0) return 'empty';
  if (p.running > 0) return 'running';
  if (p.queued > 0) return 'queued';
  if (p.interrupted > 0) return 'interrupted';
  if (p.done === p.total) return 'done';
  if (p.done > 0) return 'partial';
  if (p.cancelled === p.total) return 'cancelled';
  return 'failed';
}

/** Percentage of runs that reached a terminal status (done, failed, diverged, cancelled). */
export function experimentPercent(p: RunProgress): number {
  if (p.total === 0) return 0;
  return Math.round((100 * (p.done + p.failed + p.diverged + p.cancelled)) / p.total);
}

export function statusTagType(s: ExperimentStatus | RunStatus): 'success' | 'warning' | 'danger' | 'info' | 'primary' {
  switch (s) {
    case 'done': return 'success';
    case 'running': return 'primary';
    case 'queued': case 'interrupted': case 'partial': return 'warning';
    case 'failed': case 'diverged': return 'danger';
    default: return 'info';
  }
}

export function isActive(e: ExperimentSummary): boolean {
  return e.progress.running + e.progress.queued > 0;
}
