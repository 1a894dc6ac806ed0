/**
 * `--workers N` of lw run, lw resume and lw serve: the most concurrent runs,
 * each on its own pool worker thread (the scheduler's `workers`).
 *
 * lw run and lw resume also accept 0: the runs execute one at a time on the
 * CLI's main thread (no worker pool). lw serve does not: its runs would then
 * train on the web host's own thread, and the service's setWorkers (the
 * Settings page) accepts 1 to MAX_WORKERS only.
 */
import { MAX_WORKERS } from '../core/scheduler';

export interface WorkersRange {
  /** accept 0 = run in-process, one run at a time (lw run, lw resume) */
  allowInProcess: boolean;
}

/** `--workers` help of lw run and lw resume (0 allowed) */
export const WORKERS_HELP = `concurrent runs, one worker thread each (default: min(runs, cores); 0 to ${MAX_WORKERS}, 0 runs in-process on the main thread)`;

/** `--workers` help of lw serve (the service's range: no in-process runs) */
export const SERVE_WORKERS_HELP = `concurrent runs, one worker thread each (default: the core count; 1 to ${MAX_WORKERS})`;

/** The value of `--workers`, or why it is refused (naming the flag and the range). */
export function parseWorkers(text: string, opts: WorkersRange): { ok: true; workers: number } | { ok: false; message: string } {
  const min = opts.allowInProcess ? 0 : 1;
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n < min || n > MAX_WORKERS) {
    const note = opts.allowInProcess ? '0 runs in-process; ' : '';
    return { ok: false, message: `--workers must be an integer from ${min} to ${MAX_WORKERS} (${note}got ${JSON.stringify(text)})` };
  }
  return { ok: true, workers: n };
}
