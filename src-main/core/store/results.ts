/**
 * One run's result (src-shared/results.ts RunResult): written to every table
 * in ONE transaction that first deletes any earlier rows of the run (live
 * progress rows, an earlier attempt), and read back in the same shape.
 *
 * Numbers: NaN ↔ NULL, ±Infinity as SQLite's infinite REALs, μ per unit as
 * float64 BLOBs (numbers.ts). Row order is kept (idx columns). Canonical
 * forms on the way back: `diagnostics` is null when none were stored, and the
 * optional fields (trainMs, diagnosticsMs, diagnosticsStatus,
 * diagnosticsError, backend, adapter, kernelShape) are absent when they were.
 * The backend and adapter are the run's `backend_used` and `adapter` columns
 * (migration 0003), also set when the run starts; the kernel shape of a webgpu
 * run is `kernel_shape` (JSON, migration 0004), set with the result only.
 */
import {
  COMPUTE_BACKENDS, statusOfResult,
  type ComputeBackend, type DiagnosticsStatus, type EnvelopeRegimeName, type LagSummaryRow, type MasterFitRecord, type RunDiagnostics,
  type RunRecord, type RunResult, type RunStatus,
} from '../../../src-shared/results';
import type { StoreContext } from './context';
import { StoreValidationError, type FieldError } from './errors';
import { isRunKernelShape, kernelShapeFromJson, kernelShapeJson } from './gpu-tunings';
import { blobToF64, boolIn, boolOut, f64ToBlob, numIn, numOut, optIn } from './numbers';
import { applyStatus, checkCurveRows, getRun, insertCurveRows, requireRun } from './runs';

const RESULT_TABLES = ['learning_curve', 'gate_stats', 'lag_summary', 'unit_envelopes', 'unit_tau', 'envelope_fits', 'h_n', 'master_fits', 'const_tau'] as const;
const DIAGNOSTICS_STATUSES: readonly DiagnosticsStatus[] = ['done', 'skipped', 'cancelled', 'failed'];
const REGIMES: readonly EnvelopeRegimeName[] = ['exp', 'power', 'log'];
/** stop listing problems after this many */
const MAX_ERRORS = 20;

// ---------------------------------------------------------------------------
// Validation (so a bad result is refused with its path, before any write)
// ---------------------------------------------------------------------------

class Checker {
  readonly errors: FieldError[] = [];
  private add(field: string, message: string): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push({ field, message: `${field} ${message}` });
  }
  get full(): boolean {
    return this.errors.length >= MAX_ERRORS;
  }
  /** any double (NaN and ±Infinity included) */
  num(v: unknown, p: string): void {
    if (typeof v !== 'number') this.add(p, `must be a number (got ${show(v)})`);
  }
  /** a finite double >= 0 */
  duration(v: unknown, p: string): void {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.add(p, `must be a finite number >= 0 (got ${show(v)})`);
  }
  /** a safe integer (>= min) */
  int(v: unknown, p: string, min = -Infinity): void {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) this.add(p, `must be an integer${min > -Infinity ? ` >= ${min}` : ''} (got ${show(v)})`);
  }
  /** a safe integer or NaN (integer-valued result columns) */
  intOrNaN(v: unknown, p: string): void {
    if (typeof v !== 'number' || !(Number.isNaN(v) || Number.isSafeInteger(v))) this.add(p, `must be an integer or NaN (got ${show(v)})`);
  }
  bool(v: unknown, p: string): void {
    if (typeof v !== 'boolean') this.add(p, `must be true or false (got ${show(v)})`);
  }
  str(v: unknown, p: string, nonEmpty = false): void {
    if (typeof v !== 'string' || (nonEmpty && v.length === 0)) this.add(p, `must be a${nonEmpty ? ' non-empty' : ''} text (got ${show(v)})`);
  }
  oneOf(v: unknown, p: string, choices: readonly string[]): void {
    if (typeof v !== 'string' || !choices.includes(v)) this.add(p, `must be one of ${choices.join(', ')} (got ${show(v)})`);
  }
  obj(v: unknown, p: string): v is Record<string, unknown> {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return true;
    this.add(p, `must be an object (got ${show(v)})`);
    return false;
  }
  list(v: unknown, p: string): v is unknown[] {
    if (Array.isArray(v)) return true;
    this.add(p, `must be a list (got ${show(v)})`);
    return false;
  }
  /** each element that is an object goes to `each` */
  rows(v: unknown, p: string, each: (r: Record<string, unknown>, q: string) => void): void {
    if (!this.list(v, p)) return;
    for (let i = 0; i < v.length && !this.full; i++) if (this.obj(v[i], `${p}[${i}]`)) each(v[i] as Record<string, unknown>, `${p}[${i}]`);
  }
  push(e: FieldError): void {
    if (this.errors.length < MAX_ERRORS) this.errors.push(e);
  }
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v instanceof Float64Array) return `a Float64Array of ${v.length}`;
  return v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v);
}

/** a small object as JSON (what was wrong in it), else as show() says */
function showJson(v: unknown): string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return show(v);
  try {
    const j = JSON.stringify(v);
    return j.length > 200 ? `${j.slice(0, 200)}…` : j;
  } catch {
    return show(v);
  }
}

function checkDiagnostics(c: Checker, d: unknown, p: string): void {
  if (!c.obj(d, p)) return;
  const lags = d.lags;
  if (c.list(lags, `${p}.lags`)) lags.forEach((l, i) => c.int(l, `${p}.lags[${i}]`, 1));
  if (c.list(d.muUnits, `${p}.muUnits`)) {
    const mu = d.muUnits;
    if (Array.isArray(lags) && mu.length !== lags.length) {
      c.push({ field: `${p}.muUnits`, message: `${p}.muUnits must have one entry per lag (${lags.length} lags, got ${mu.length})` });
    }
    mu.forEach((row, i) => {
      const q = `${p}.muUnits[${i}]`;
      if (row instanceof Float64Array) return;
      if (Array.isArray(row)) row.forEach((x, k) => c.num(x, `${q}[${k}]`));
      else c.push({ field: q, message: `${q} must be a Float64Array (got ${show(row)})` });
    });
  }
  c.rows(d.summary, `${p}.summary`, (r, q) => {
    c.int(r.ell, `${q}.ell`, 1);
    for (const k of ['mu_l1_mean', 'log_mu_l1_mean', 'alpha_hat', 'sigma_alpha_hat', 'best_snr', 'err_at_best_snr', 'mbar_scalar'] as const) c.num(r[k], `${q}.${k}`);
    for (const k of ['N_required_at_eps', 'best_N_for_ell', 'n_samples'] as const) c.intOrNaN(r[k], `${q}.${k}`);
    c.bool(r.alpha_reliable, `${q}.alpha_reliable`);
    c.str(r.alpha_method, `${q}.alpha_method`);
  });
  c.rows(d.H_N, `${p}.H_N`, (r, q) => {
    c.int(r.N, `${q}.N`);
    c.intOrNaN(r.H_N, `${q}.H_N`);
  });
  c.rows(d.tau, `${p}.tau`, (r, q) => {
    c.int(r.unit_id, `${q}.unit_id`, 0);
    for (const k of ['tau', 'C', 'a', 'b', 'r2'] as const) c.num(r[k], `${q}.${k}`);
    c.intOrNaN(r.num_points, `${q}.num_points`);
  });
  if (c.obj(d.envelope, `${p}.envelope`)) {
    const e = d.envelope;
    const parts = { exp: ['a', 'b', 'r2', 'tau_env'], power: ['c', 'd', 'r2'], log: ['e', 'g', 'r2'] } as const;
    for (const [part, keys] of Object.entries(parts)) {
      if (c.obj(e[part], `${p}.envelope.${part}`)) for (const k of keys) c.num((e[part] as Record<string, unknown>)[k], `${p}.envelope.${part}.${k}`);
    }
    c.oneOf(e.best, `${p}.envelope.best`, REGIMES);
  }
  if (c.obj(d.master, `${p}.master`)) {
    const m = d.master;
    if ('skipped' in m) c.str(m.skipped, `${p}.master.skipped`);
    else {
      for (const k of ['slope', 'intercept', 'r2'] as const) c.num(m[k], `${p}.master.${k}`);
      c.intOrNaN(m.n, `${p}.master.n`);
    }
  }
  if (d.constTau !== null && c.obj(d.constTau, `${p}.constTau`)) for (const k of ['s', 'leak', 'tau'] as const) c.num(d.constTau[k], `${p}.constTau.${k}`);
  c.int(d.batchSize, `${p}.batchSize`, 1);
}

/** Every problem of a result (at most 20), with its path; empty when it can be stored. */
export function validateRunResult(result: unknown): FieldError[] {
  const c = new Checker();
  if (!c.obj(result, 'result')) return c.errors;
  const r = result;
  if (Array.isArray(r.curve)) checkCurveRows(r.curve as RunResult['curve'], 'curve', c.errors);
  else c.list(r.curve, 'curve');
  c.rows(r.gateStats, 'gateStats', (g, q) => {
    c.int(g.epoch, `${q}.epoch`, 0);
    c.str(g.metric, `${q}.metric`, true);
    c.num(g.value, `${q}.value`);
  });
  c.bool(r.diverged, 'diverged');
  if (r.divergedEpoch !== null) c.int(r.divergedEpoch, 'divergedEpoch', 0);
  c.bool(r.cancelled, 'cancelled');
  c.str(r.kernelsName, 'kernelsName');
  c.duration(r.wallMs, 'wallMs');
  if (r.trainMs !== undefined) c.duration(r.trainMs, 'trainMs');
  if (r.diagnosticsMs !== undefined) c.duration(r.diagnosticsMs, 'diagnosticsMs');
  if (r.diagnosticsStatus !== undefined) c.oneOf(r.diagnosticsStatus, 'diagnosticsStatus', DIAGNOSTICS_STATUSES);
  if (r.diagnosticsError !== undefined) c.str(r.diagnosticsError, 'diagnosticsError');
  if (r.backend !== undefined) c.oneOf(r.backend, 'backend', COMPUTE_BACKENDS);
  if (r.adapter !== undefined) c.str(r.adapter, 'adapter');
  if (r.kernelShape !== undefined && !isRunKernelShape(r.kernelShape)) {
    c.push({
      field: 'kernelShape',
      message: 'kernelShape must be {workgroupSize: a power of two from 1 to 1024, seqsPerWorkgroup: an integer from 1 to 1024, '
        + `unroll: an integer from 1 to 32 or 'auto', source: 'tuned' or 'default'} (got ${showJson(r.kernelShape)})`,
    });
  }
  if (r.diagnostics !== undefined && r.diagnostics !== null) checkDiagnostics(c, r.diagnostics, 'diagnostics');
  return c.errors.slice(0, MAX_ERRORS);
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

export interface SaveRunResultOptions {
  /** final status (default statusOfResult(result): failed diagnostics, diverged, cancelled, else done) */
  status?: RunStatus;
  /** the run's error text (default: the diagnostics error, when they failed) */
  error?: string;
}

function insertDiagnostics(ctx: StoreContext, runId: number, d: RunDiagnostics): void {
  const sum = ctx.sql(`INSERT INTO lag_summary (run_id, idx, ell, mu_l1_mean, log_mu_l1_mean, alpha_hat, sigma_alpha_hat,
      N_required_at_eps, best_snr, err_at_best_snr, best_N_for_ell, mbar_scalar, alpha_reliable, alpha_method, n_samples)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  d.summary.forEach((r, i) => sum.run(runId, i, r.ell, numIn(r.mu_l1_mean), numIn(r.log_mu_l1_mean), numIn(r.alpha_hat),
    numIn(r.sigma_alpha_hat), numIn(r.N_required_at_eps), numIn(r.best_snr), numIn(r.err_at_best_snr), numIn(r.best_N_for_ell),
    numIn(r.mbar_scalar), boolIn(r.alpha_reliable), r.alpha_method, numIn(r.n_samples)));

  const env = ctx.sql('INSERT INTO unit_envelopes (run_id, idx, ell, n_units, mu) VALUES (?, ?, ?, ?, ?)');
  d.lags.forEach((ell, i) => {
    const row = d.muUnits[i]!;
    const a = row instanceof Float64Array ? row : Float64Array.from(row as ArrayLike<number>);
    env.run(runId, i, ell, a.length, f64ToBlob(a));
  });

  const tau = ctx.sql('INSERT INTO unit_tau (run_id, idx, unit_id, tau, C, a, b, r2, num_points) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  d.tau.forEach((t, i) => tau.run(runId, i, t.unit_id, numIn(t.tau), numIn(t.C), numIn(t.a), numIn(t.b), numIn(t.r2), numIn(t.num_points)));

  const e = d.envelope;
  ctx.sql(`INSERT INTO envelope_fits (run_id, exp_a, exp_b, exp_r2, exp_tau_env, power_c, power_d, power_r2, log_e, log_g, log_r2, best)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(runId, numIn(e.exp.a), numIn(e.exp.b), numIn(e.exp.r2), numIn(e.exp.tau_env),
    numIn(e.power.c), numIn(e.power.d), numIn(e.power.r2), numIn(e.log.e), numIn(e.log.g), numIn(e.log.r2), e.best);

  const hn = ctx.sql('INSERT INTO h_n (run_id, idx, N, H_N) VALUES (?, ?, ?, ?)');
  d.H_N.forEach((r, i) => hn.run(runId, i, r.N, numIn(r.H_N)));

  const m = d.master;
  if ('skipped' in m) ctx.sql('INSERT INTO master_fits (run_id, skipped) VALUES (?, ?)').run(runId, m.skipped);
  else {
    ctx.sql('INSERT INTO master_fits (run_id, slope, intercept, r2, n) VALUES (?, ?, ?, ?, ?)')
      .run(runId, numIn(m.slope), numIn(m.intercept), numIn(m.r2), numIn(m.n));
  }
  if (d.constTau) {
    ctx.sql('INSERT INTO const_tau (run_id, s, leak, tau) VALUES (?, ?, ?, ?)')
      .run(runId, numIn(d.constTau.s), numIn(d.constTau.leak), numIn(d.constTau.tau));
  }
}

/**
 * Store a run's result: every table in one transaction (earlier rows of the
 * run replaced), the run's scalars, and its final status (a transition from
 * `running`, else StoreStateError and nothing written). An invalid result
 * throws StoreValidationError naming the fields; nothing is written.
 */
export function saveRunResult(ctx: StoreContext, runId: number, result: RunResult, opts: SaveRunResultOptions = {}): RunRecord {
  const errors = validateRunResult(result);
  if (errors.length > 0) throw new StoreValidationError(`result for run ${runId}`, errors);
  return ctx.tx(() => {
    const run = requireRun(ctx, runId);
    const to = opts.status ?? statusOfResult(result);
    const error = opts.error ?? (result.diagnosticsStatus === 'failed' ? `diagnostics failed: ${result.diagnosticsError ?? 'unknown error'}` : undefined);
    writeResultRows(ctx, runId, result);
    applyStatus(ctx, run, to, error !== undefined ? { error } : {});
    return getRun(ctx, runId)!;
  });
}

/**
 * The rows and scalars of a (validated) result, replacing any earlier rows of
 * the run; no status change. Runs inside the caller's transaction. An unknown
 * wall time (NaN, imported runs) is stored as NULL; an empty kernel name too.
 * A result that names its backend replaces the run's backend_used and adapter
 * (one that does not leaves them as they are); its kernel shape replaces the
 * run's (absent: NULL).
 */
export function writeResultRows(ctx: StoreContext, runId: number, result: RunResult): void {
  for (const t of RESULT_TABLES) ctx.sql(`DELETE FROM ${t} WHERE run_id = ?`).run(runId);
  insertCurveRows(ctx, runId, result.curve);
  const gs = ctx.sql('INSERT INTO gate_stats (run_id, idx, epoch, metric, value) VALUES (?, ?, ?, ?, ?)');
  result.gateStats.forEach((g, i) => gs.run(runId, i, g.epoch, g.metric, numIn(g.value)));
  const d = result.diagnostics ?? null;
  if (d) insertDiagnostics(ctx, runId, d);
  ctx.sql(`UPDATE runs SET kernels = ?, wall_ms = ?, train_ms = ?, diagnostics_ms = ?, result_saved_at = ?, diverged = ?,
      diverged_epoch = ?, cancelled = ?, diagnostics_status = ?, diagnostics_error = ?, diagnostics_batch_size = ?,
      kernel_shape = ? WHERE id = ?`).run(result.kernelsName === '' ? null : result.kernelsName, optIn(result.wallMs), optIn(result.trainMs),
    optIn(result.diagnosticsMs), ctx.now(), boolIn(result.diverged), result.divergedEpoch, boolIn(result.cancelled),
    result.diagnosticsStatus ?? null, result.diagnosticsError ?? null, d ? d.batchSize : null,
    result.kernelShape !== undefined ? kernelShapeJson(result.kernelShape) : null, runId);
  if (result.backend !== undefined) {
    ctx.sql('UPDATE runs SET backend_used = ?, adapter = ? WHERE id = ?').run(result.backend, result.adapter ?? null, runId);
  }
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

interface ResultRow {
  kernels: string | null;
  wall_ms: number | null;
  train_ms: number | null;
  diagnostics_ms: number | null;
  result_saved_at: number | null;
  diverged: number | null;
  diverged_epoch: number | null;
  cancelled: number | null;
  diagnostics_status: DiagnosticsStatus | null;
  diagnostics_error: string | null;
  diagnostics_batch_size: number | null;
  backend_used: string | null;
  adapter: string | null;
  kernel_shape: string | null;
}

type Num = number | null;

/** What getRunResult reads. */
export interface GetRunResultOptions {
  /** read the per-unit envelopes (μ BLOBs, most of a result's bytes); false: diagnostics.muUnits is [] (default true) */
  muUnits?: boolean;
  /** read the learning curve and the gate statistics (most of the rest); false: curve and gateStats are [] (default true) */
  curves?: boolean;
}

function readDiagnostics(ctx: StoreContext, runId: number, batchSize: number, muUnits: boolean): RunDiagnostics {
  // raw rows (arrays in SELECT order): about twice as fast as row objects for thousands of rows;
  // the lag grid comes from the same table either way (one query, the BLOB column only when wanted)
  const env = ctx.rawSql(`SELECT ell${muUnits ? ', mu' : ''} FROM unit_envelopes WHERE run_id = ? ORDER BY idx`).all(runId) as [number, Buffer?][];
  const summary = (ctx.rawSql(`SELECT ell, mu_l1_mean, log_mu_l1_mean, alpha_hat, sigma_alpha_hat, N_required_at_eps, best_snr,
      err_at_best_snr, best_N_for_ell, mbar_scalar, alpha_reliable, alpha_method, n_samples
    FROM lag_summary WHERE run_id = ? ORDER BY idx`).all(runId) as [number, Num, Num, Num, Num, Num, Num, Num, Num, Num, number, string, Num][])
    .map((r): LagSummaryRow => ({
      ell: r[0],
      mu_l1_mean: numOut(r[1]),
      log_mu_l1_mean: numOut(r[2]),
      alpha_hat: numOut(r[3]),
      sigma_alpha_hat: numOut(r[4]),
      N_required_at_eps: numOut(r[5]),
      best_snr: numOut(r[6]),
      err_at_best_snr: numOut(r[7]),
      best_N_for_ell: numOut(r[8]),
      mbar_scalar: numOut(r[9]),
      alpha_reliable: boolOut(r[10]),
      alpha_method: r[11],
      n_samples: numOut(r[12]),
    }));
  const tau = (ctx.rawSql('SELECT unit_id, tau, C, a, b, r2, num_points FROM unit_tau WHERE run_id = ? ORDER BY idx').all(runId) as
    [number, Num, Num, Num, Num, Num, Num][]).map((t) => ({
    unit_id: t[0], tau: numOut(t[1]), C: numOut(t[2]), a: numOut(t[3]), b: numOut(t[4]), r2: numOut(t[5]), num_points: numOut(t[6]),
  }));
  const e = ctx.sql<Record<string, Num | string>>('SELECT * FROM envelope_fits WHERE run_id = ?').get(runId);
  const n = (k: string) => numOut((e?.[k] ?? null) as Num);
  const H_N = (ctx.rawSql('SELECT N, H_N FROM h_n WHERE run_id = ? ORDER BY idx').all(runId) as [number, Num][])
    .map((r) => ({ N: r[0], H_N: numOut(r[1]) }));
  const m = ctx.sql<{ slope: Num; intercept: Num; r2: Num; n: Num; skipped: string | null }>(
    'SELECT slope, intercept, r2, n, skipped FROM master_fits WHERE run_id = ?',
  ).get(runId);
  const master: MasterFitRecord = !m ? { skipped: 'not stored' }
    : m.skipped !== null ? { skipped: m.skipped }
      : { slope: numOut(m.slope), intercept: numOut(m.intercept), r2: numOut(m.r2), n: numOut(m.n) };
  const c = ctx.sql<{ s: Num; leak: Num; tau: Num }>('SELECT s, leak, tau FROM const_tau WHERE run_id = ?').get(runId);
  return {
    lags: env.map((r) => r[0]),
    summary,
    muUnits: muUnits ? env.map((r) => blobToF64(r[1]!)) : [],
    H_N,
    tau,
    envelope: {
      exp: { a: n('exp_a'), b: n('exp_b'), r2: n('exp_r2'), tau_env: n('exp_tau_env') },
      power: { c: n('power_c'), d: n('power_d'), r2: n('power_r2') },
      log: { e: n('log_e'), g: n('log_g'), r2: n('log_r2') },
      best: (e?.best ?? 'exp') as EnvelopeRegimeName,
    },
    master,
    constTau: c ? { s: numOut(c.s), leak: numOut(c.leak), tau: numOut(c.tau) } : null,
    batchSize,
  };
}

/**
 * The stored result of a run, or null when none is stored (unknown run:
 * StoreNotFoundError). `muUnits: false` skips the per-unit envelope BLOBs;
 * `curves: false` the learning-curve and gate-statistic rows.
 */
export function getRunResult(ctx: StoreContext, runId: number, opts: GetRunResultOptions = {}): RunResult | null {
  return ctx.db.transaction(() => {
    requireRun(ctx, runId);
    const r = ctx.sql<ResultRow>(`SELECT kernels, wall_ms, train_ms, diagnostics_ms, result_saved_at, diverged, diverged_epoch,
        cancelled, diagnostics_status, diagnostics_error, diagnostics_batch_size, backend_used, adapter, kernel_shape FROM runs WHERE id = ?`).get(runId)!;
    if (r.result_saved_at === null) return null;
    const withCurves = opts.curves ?? true;
    const curve = !withCurves ? [] : (ctx.rawSql('SELECT epoch, train_loss, train_acc, val_loss, val_acc FROM learning_curve WHERE run_id = ? ORDER BY epoch')
      .all(runId) as [number, Num, Num, Num, Num][]).map((c) => ({
      epoch: c[0], train_loss: numOut(c[1]), train_acc: numOut(c[2]), val_loss: numOut(c[3]), val_acc: numOut(c[4]),
    }));
    const gateStats = !withCurves ? [] : (ctx.rawSql('SELECT epoch, metric, value FROM gate_stats WHERE run_id = ? ORDER BY idx').all(runId) as [number, string, Num][])
      .map((g) => ({ epoch: g[0], metric: g[1], value: numOut(g[2]) }));
    const out: RunResult = {
      curve,
      gateStats,
      diverged: boolOut(r.diverged),
      divergedEpoch: r.diverged_epoch,
      cancelled: boolOut(r.cancelled),
      kernelsName: r.kernels ?? '',
      wallMs: r.wall_ms ?? NaN,
      diagnostics: r.diagnostics_batch_size !== null ? readDiagnostics(ctx, runId, r.diagnostics_batch_size, opts.muUnits ?? true) : null,
    };
    if (r.train_ms !== null) out.trainMs = r.train_ms;
    if (r.diagnostics_ms !== null) out.diagnosticsMs = r.diagnostics_ms;
    if (r.diagnostics_status !== null) out.diagnosticsStatus = r.diagnostics_status;
    if (r.diagnostics_error !== null) out.diagnosticsError = r.diagnostics_error;
    if (r.backend_used !== null) out.backend = r.backend_used as ComputeBackend;
    if (r.adapter !== null) out.adapter = r.adapter;
    const shape = kernelShapeFromJson(r.kernel_shape);
    if (shape !== null) out.kernelShape = shape;
    return out;
  })();
}
