/**
 * Runs: records, status transitions (DESIGN.md §2), start-up recovery, the
 * event log, and live learning-curve rows.
 *
 *   queued → running → done | failed | diverged | cancelled | interrupted
 *   interrupted | failed | cancelled → queued   (resume / re-run)
 *   queued → cancelled                          (cancelled before it started)
 *
 * Every status change is logged as a 'status' event in the same transaction,
 * and keeps the experiment's finished_at current (set when every run is done,
 * failed, diverged or cancelled; cleared when one is queued again). A re-run
 * keeps the rows of the earlier attempt until its own result replaces them.
 */
import {
  RUN_TRANSITIONS, TERMINAL_RUN_STATUSES, canTransition,
  type ComputeBackend, type LearningCurveRow, type RunEvent, type RunRecord, type RunStatus,
} from '../../../src-shared/results';
import type { StoreContext } from './context';
import { StoreNotFoundError, StoreStateError, StoreValidationError, type FieldError } from './errors';
import { kernelShapeFromJson } from './gpu-tunings';
import { numIn } from './numbers';

interface RunRow {
  id: number;
  experiment_id: number;
  idx: number;
  arch: string;
  seed: number;
  status: RunStatus;
  backend: string;
  kernels: string | null;
  attempts: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  wall_ms: number | null;
  train_ms: number | null;
  diagnostics_ms: number | null;
  error: string | null;
  result_saved_at: number | null;
  epochs_done: number;
  imported: number;
  source: string | null;
  backend_used: string | null;
  adapter: string | null;
  kernel_shape: string | null;
}

const RUN_SELECT = `SELECT r.id, r.experiment_id, r.idx, r.arch, r.seed, r.status, r.backend, r.kernels, r.attempts,
  r.created_at, r.started_at, r.finished_at, r.wall_ms, r.train_ms, r.diagnostics_ms, r.error, r.result_saved_at,
  r.imported, r.source, r.backend_used, r.adapter, r.kernel_shape, (SELECT count(*) FROM learning_curve c WHERE c.run_id = r.id) AS epochs_done
  FROM runs r`;

const TERMINAL_SQL = TERMINAL_RUN_STATUSES.map((s) => `'${s}'`).join(', ');

function toRecord(r: RunRow): RunRecord {
  return {
    id: r.id,
    experimentId: r.experiment_id,
    index: r.idx,
    arch: r.arch as RunRecord['arch'],
    seed: r.seed,
    status: r.status,
    backend: r.backend as RunRecord['backend'],
    kernels: r.kernels,
    attempts: r.attempts,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    wallMs: r.wall_ms,
    trainMs: r.train_ms,
    diagnosticsMs: r.diagnostics_ms,
    error: r.error,
    hasResult: r.result_saved_at !== null,
    epochsDone: r.epochs_done,
    imported: r.imported === 1,
    source: r.source,
    backendUsed: r.backend_used as RunRecord['backendUsed'],
    adapter: r.adapter,
    kernelShape: kernelShapeFromJson(r.kernel_shape),
  };
}

export function getRun(ctx: StoreContext, runId: number): RunRecord | null {
  const r = ctx.sql<RunRow>(`${RUN_SELECT} WHERE r.id = ?`).get(runId);
  return r ? toRecord(r) : null;
}

export function requireRun(ctx: StoreContext, runId: number): RunRecord {
  const r = getRun(ctx, runId);
  if (!r) throw new StoreNotFoundError(`no run with id ${runId}`);
  return r;
}

/** The runs of an experiment in expandRuns order. */
export function listRuns(ctx: StoreContext, experimentId: number): RunRecord[] {
  return ctx.sql<RunRow>(`${RUN_SELECT} WHERE r.experiment_id = ? ORDER BY r.idx`).all(experimentId).map(toRecord);
}

/** Runs in a status, oldest first (e.g. the scheduler's queue). */
export function listRunsByStatus(ctx: StoreContext, status: RunStatus, limit = 1000): RunRecord[] {
  return ctx.sql<RunRow>(`${RUN_SELECT} WHERE r.status = ? ORDER BY r.experiment_id, r.idx LIMIT ?`).all(status, limit).map(toRecord);
}

/** Set or clear the experiment's finished_at from its runs' statuses. */
export function refreshExperimentFinished(ctx: StoreContext, experimentId: number): void {
  ctx.sql(`UPDATE experiments SET finished_at = CASE
      WHEN EXISTS (SELECT 1 FROM runs WHERE experiment_id = @id AND status NOT IN (${TERMINAL_SQL})) THEN NULL
      ELSE coalesce(finished_at, @now) END
    WHERE id = @id`).run({ id: experimentId, now: ctx.now() });
}

export function appendRunEvent(ctx: StoreContext, runId: number, kind: string, message = '', data?: unknown): number {
  if (typeof kind !== 'string' || kind.trim() === '') {
    throw new StoreValidationError('event', [{ field: 'kind', message: 'kind must be a non-empty text' }]);
  }
  return ctx.tx(() => {
    requireRun(ctx, runId);
    const json = data === undefined ? null : JSON.stringify(data);
    return Number(ctx.sql('INSERT INTO run_events (run_id, at, kind, message, data_json) VALUES (?, ?, ?, ?, ?)')
      .run(runId, ctx.now(), kind.trim(), message, json ?? null).lastInsertRowid);
  });
}

export function listRunEvents(ctx: StoreContext, runId: number, opts: { afterId?: number; limit?: number } = {}): RunEvent[] {
  return ctx.sql<{ id: number; run_id: number; at: number; kind: string; message: string; data_json: string | null }>(
    'SELECT id, run_id, at, kind, message, data_json FROM run_events WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?',
  ).all(runId, opts.afterId ?? 0, opts.limit ?? 10_000).map((e) => ({
    id: e.id, runId: e.run_id, at: e.at, kind: e.kind, message: e.message, data: e.data_json === null ? null : JSON.parse(e.data_json),
  }));
}

export interface SetRunStatusOptions {
  /** why (failed, interrupted, cancelled); stored in the run's error column */
  error?: string;
  /** kernel set, when known at this point */
  kernels?: string;
  /**
   * to 'running' only: the backend this attempt uses (the host's resolution
   * of the configuration's `backend`) and, for webgpu, the adapter when
   * known; both replace the previous attempt's (absent: NULL)
   */
  backendUsed?: ComputeBackend;
  adapter?: string;
}

/**
 * Write a status change that `canTransition` allows (else StoreStateError),
 * with its time stamps, an event and the experiment's finished_at. Runs
 * inside the caller's transaction when there is one.
 */
export function applyStatus(ctx: StoreContext, run: RunRecord, to: RunStatus, opts: SetRunStatusOptions = {}): void {
  if (run.imported && to === 'queued') {
    // its rows came from files (src-main/core/imports): running it here would mix two pipelines' results
    throw new StoreStateError(`run ${run.id} (${run.arch}, seed ${run.seed}) was imported from result files and cannot be queued again`);
  }
  if (!canTransition(run.status, to)) {
    const allowed = RUN_TRANSITIONS[run.status];
    throw new StoreStateError(
      `run ${run.id} (${run.arch}, seed ${run.seed}) cannot go from ${run.status} to ${to} `
        + `(from ${run.status}: ${allowed.length > 0 ? allowed.join(', ') : 'no change is allowed'})`,
    );
  }
  const now = ctx.now();
  if (to === 'running') {
    ctx.sql(`UPDATE runs SET status = 'running', started_at = ?, finished_at = NULL, attempts = attempts + 1, error = NULL,
      kernels = coalesce(?, kernels), backend_used = ?, adapter = ? WHERE id = ?`)
      .run(now, opts.kernels ?? null, opts.backendUsed ?? null, opts.adapter ?? null, run.id);
  } else if (to === 'queued') {
    ctx.sql("UPDATE runs SET status = 'queued', finished_at = NULL, error = NULL WHERE id = ?").run(run.id);
  } else {
    ctx.sql('UPDATE runs SET status = ?, finished_at = ?, error = ?, kernels = coalesce(?, kernels) WHERE id = ?')
      .run(to, now, opts.error ?? null, opts.kernels ?? null, run.id);
  }
  ctx.sql("INSERT INTO run_events (run_id, at, kind, message, data_json) VALUES (?, ?, 'status', ?, ?)").run(
    run.id, now, `${run.status} → ${to}${opts.error ? `: ${opts.error}` : ''}`,
    JSON.stringify({ from: run.status, to, ...(opts.error ? { error: opts.error } : {}) }),
  );
  refreshExperimentFinished(ctx, run.experimentId);
}

export function setRunStatus(ctx: StoreContext, runId: number, to: RunStatus, opts: SetRunStatusOptions = {}): RunRecord {
  return ctx.tx(() => {
    applyStatus(ctx, requireRun(ctx, runId), to, opts);
    return getRun(ctx, runId)!;
  });
}

export const INTERRUPTED_MESSAGE = 'the workstation stopped while this run was running';

/**
 * Start-up recovery: every run left `running` (by a crash or a kill) becomes
 * `interrupted`, in one transaction. Returns those runs.
 */
export function markRunningInterrupted(ctx: StoreContext): RunRecord[] {
  return ctx.tx(() => {
    const running = ctx.sql<RunRow>(`${RUN_SELECT} WHERE r.status = 'running' ORDER BY r.id`).all().map(toRecord);
    for (const r of running) applyStatus(ctx, r, 'interrupted', { error: INTERRUPTED_MESSAGE });
    return running.map((r) => getRun(ctx, r.id)!);
  });
}

/** Validation of learning-curve rows (unique integer epochs >= 0, numbers); pushes into `errors`. */
export function checkCurveRows(rows: readonly LearningCurveRow[], path: string, errors: FieldError[]): void {
  if (!Array.isArray(rows)) {
    errors.push({ field: path, message: `${path} must be a list of learning-curve rows` });
    return;
  }
  const seen = new Set<number>();
  rows.forEach((r, i) => {
    const p = `${path}[${i}]`;
    if (typeof r !== 'object' || r === null) {
      errors.push({ field: p, message: `${p} must be a row {epoch, train_loss, train_acc, val_loss, val_acc}` });
      return;
    }
    if (!Number.isSafeInteger(r.epoch) || r.epoch < 0) errors.push({ field: `${p}.epoch`, message: `${p}.epoch must be an integer >= 0 (got ${r.epoch})` });
    else if (seen.has(r.epoch)) errors.push({ field: `${p}.epoch`, message: `${p}.epoch ${r.epoch} appears twice` });
    else seen.add(r.epoch);
    for (const k of ['train_loss', 'train_acc', 'val_loss', 'val_acc'] as const) {
      if (typeof r[k] !== 'number') errors.push({ field: `${p}.${k}`, message: `${p}.${k} must be a number (got ${String(r[k])})` });
    }
  });
}

export function insertCurveRows(ctx: StoreContext, runId: number, rows: readonly LearningCurveRow[]): void {
  const ins = ctx.sql(`INSERT OR REPLACE INTO learning_curve (run_id, epoch, train_loss, train_acc, val_loss, val_acc)
    VALUES (?, ?, ?, ?, ?, ?)`);
  for (const r of rows) ins.run(runId, r.epoch, numIn(r.train_loss), numIn(r.train_acc), numIn(r.val_loss), numIn(r.val_acc));
}

/**
 * Live progress: learning-curve rows of a running run, written as epochs
 * finish (a row for an epoch already stored replaces it). The run must be
 * running.
 */
export function saveProgress(ctx: StoreContext, runId: number, rows: readonly LearningCurveRow[]): void {
  const errors: FieldError[] = [];
  checkCurveRows(rows, 'rows', errors);
  if (errors.length > 0) throw new StoreValidationError('progress rows', errors);
  ctx.tx(() => {
    const run = requireRun(ctx, runId);
    if (run.status !== 'running') throw new StoreStateError(`run ${runId} is ${run.status}, not running: progress rows refused`);
    insertCurveRows(ctx, runId, rows);
  });
}
