/**
 * The result files of one run (SCIENCE.md §8, plus our master fit and status)
 * as the store's row types (src-shared/results.ts). Every reader is strict:
 * the expected columns / keys must be there with values of their type, or a
 * FileProblem names the file, line and column. Unknown extra columns / keys
 * are ignored with a warning (a newer reference may add some).
 */
import type { ArchName } from '../../../src-shared/config';
import {
  COMPUTE_BACKENDS, LAG_SUMMARY_COLUMNS,
  type ComputeBackend, type ConstTauRecord, type DiagnosticsStatus, type EnvelopeFitsRecord, type EnvelopeRegimeName, type GateStatRow, type HNRow,
  type LagSummaryRow, type LearningCurveRow, type MasterFitRecord, type UnitTauRow,
} from '../../../src-shared/results';
import { cellOf, columnsOf, readCsv, type CsvTable } from './csv';
import { fail } from './errors';
import type { JsonValue } from './json';
import { parseRefBool, parseRefInt, parseRefNumber, parseRefText } from './numbers';

export interface Warn {
  (message: string): void;
}

const num = (c: string) => parseRefNumber(c);
const intNaN = (c: string) => parseRefInt(c, true);
const intMin = (min: number) => (c: string) => parseRefInt(c, false, min);

function extraColumns(t: CsvTable, extra: string[], warn: Warn): void {
  if (extra.length > 0) warn(`${t.file}: ignored the unknown column${extra.length > 1 ? 's' : ''} ${extra.join(', ')}`);
}

/** Refuse a repeated key value (epoch, lag, N, unit) naming both lines. */
function uniqueKey(t: CsvTable, seen: Map<number, number>, key: number, line: number, col: number, what: string): void {
  const prev = seen.get(key);
  if (prev !== undefined) fail(t.file, `${what} ${key} appears twice (also on line ${prev})`, { line, column: col + 1, columnName: t.header[col]! });
  seen.set(key, line);
}

export const CURVE_COLUMNS = ['epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc'] as const;

/** `<model>_learning_curve.csv`, in epoch order. */
export function readCurve(text: string, file: string, maxRows: number, warn: Warn): LearningCurveRow[] {
  const t = readCsv(text, file, maxRows);
  const { index, extra } = columnsOf(t, CURVE_COLUMNS, [], true);
  extraColumns(t, extra, warn);
  const seen = new Map<number, number>();
  const rows = t.rows.map((r) => {
    const ce = index.get('epoch')!;
    const epoch = cellOf(t, r, ce, intMin(0));
    uniqueKey(t, seen, epoch, r.line, ce, 'epoch');
    return {
      epoch,
      train_loss: cellOf(t, r, index.get('train_loss')!, num),
      train_acc: cellOf(t, r, index.get('train_acc')!, num),
      val_loss: cellOf(t, r, index.get('val_loss')!, num),
      val_acc: cellOf(t, r, index.get('val_acc')!, num),
    };
  });
  return rows.sort((a, b) => a.epoch - b.epoch);
}

export const GATE_COLUMNS = ['epoch', 'metric', 'value'] as const;

/** `gate_stats_<model>.csv` (file order kept; one row per (epoch, metric)). */
export function readGateStats(text: string, file: string, maxRows: number, warn: Warn): GateStatRow[] {
  const t = readCsv(text, file, maxRows);
  const { index, extra } = columnsOf(t, GATE_COLUMNS, [], true);
  extraColumns(t, extra, warn);
  const seen = new Map<string, Map<number, number>>(); // metric → epoch → line
  return t.rows.map((r) => {
    const ce = index.get('epoch')!;
    const epoch = cellOf(t, r, ce, intMin(0));
    const metric = cellOf(t, r, index.get('metric')!, parseRefText);
    let epochs = seen.get(metric);
    if (!epochs) seen.set(metric, (epochs = new Map()));
    uniqueKey(t, epochs, epoch, r.line, ce, `${metric} at epoch`);
    return { epoch, metric, value: cellOf(t, r, index.get('value')!, num) };
  });
}

/** `<model>_summary.csv`: every §8 column, one row per lag (file order kept; lags distinct). */
export function readSummary(text: string, file: string, maxRows: number, warn: Warn): LagSummaryRow[] {
  const t = readCsv(text, file, maxRows);
  const { index, extra } = columnsOf(t, LAG_SUMMARY_COLUMNS, [], true);
  extraColumns(t, extra, warn);
  const seen = new Map<number, number>();
  const c = (k: (typeof LAG_SUMMARY_COLUMNS)[number]) => index.get(k)!;
  return t.rows.map((r) => {
    const ell = cellOf(t, r, c('ell'), intMin(1));
    uniqueKey(t, seen, ell, r.line, c('ell'), 'lag');
    return {
      ell,
      mu_l1_mean: cellOf(t, r, c('mu_l1_mean'), num),
      log_mu_l1_mean: cellOf(t, r, c('log_mu_l1_mean'), num),
      alpha_hat: cellOf(t, r, c('alpha_hat'), num),
      sigma_alpha_hat: cellOf(t, r, c('sigma_alpha_hat'), num),
      N_required_at_eps: cellOf(t, r, c('N_required_at_eps'), intNaN),
      best_snr: cellOf(t, r, c('best_snr'), num),
      err_at_best_snr: cellOf(t, r, c('err_at_best_snr'), num),
      best_N_for_ell: cellOf(t, r, c('best_N_for_ell'), intNaN),
      mbar_scalar: cellOf(t, r, c('mbar_scalar'), num),
      alpha_reliable: cellOf(t, r, c('alpha_reliable'), parseRefBool),
      alpha_method: cellOf(t, r, c('alpha_method'), parseRefText),
      n_samples: cellOf(t, r, c('n_samples'), intNaN),
    };
  });
}

/**
 * `<model>_mu_units.csv`: `ell,mu_unit_0,…,mu_unit_{H-1}` (in this order), one
 * row per lag of the summary, in the summary's order.
 */
export function readMuUnits(text: string, file: string, maxRows: number, lags: readonly number[], summaryFile: string): Float64Array[] {
  const t = readCsv(text, file, maxRows);
  const h = t.header.slice(t.skip);
  if (h[0] !== 'ell') fail(file, `the first column must be ell (got ${JSON.stringify(h[0] ?? '')})`, { line: 1, column: t.skip + 1 });
  for (let q = 1; q < h.length; q++) {
    if (h[q] !== `mu_unit_${q - 1}`) {
      fail(file, `column ${q + 1} must be mu_unit_${q - 1} (got ${JSON.stringify(h[q])}): the header is ell,mu_unit_0,…,mu_unit_{H-1}`, { line: 1, column: t.skip + q + 1 });
    }
  }
  const H = h.length - 1;
  if (t.rows.length !== lags.length) fail(file, `${t.rows.length} lags, but ${summaryFile} has ${lags.length}`);
  return t.rows.map((r, i) => {
    const ell = cellOf(t, r, t.skip, intMin(1));
    if (ell !== lags[i]) fail(file, `lag ${ell}, but row ${i + 1} of ${summaryFile} is lag ${lags[i]} (the lags must be the same, in the same order)`, { line: r.line, column: t.skip + 1, columnName: 'ell' });
    const out = new Float64Array(H);
    for (let q = 0; q < H; q++) out[q] = cellOf(t, r, t.skip + 1 + q, num);
    return out;
  });
}

export const TAU_COLUMNS = ['unit_id', 'tau', 'C', 'a', 'b', 'r2', 'num_points'] as const;

/** `<model>_tau_from_mu_units.csv` (file order kept; units distinct). */
export function readTau(text: string, file: string, maxRows: number, warn: Warn): UnitTauRow[] {
  const t = readCsv(text, file, maxRows);
  const { index, extra } = columnsOf(t, TAU_COLUMNS, [], true);
  extraColumns(t, extra, warn);
  const seen = new Map<number, number>();
  return t.rows.map((r) => {
    const cu = index.get('unit_id')!;
    const unit_id = cellOf(t, r, cu, intMin(0));
    uniqueKey(t, seen, unit_id, r.line, cu, 'unit');
    return {
      unit_id,
      tau: cellOf(t, r, index.get('tau')!, num),
      C: cellOf(t, r, index.get('C')!, num),
      a: cellOf(t, r, index.get('a')!, num),
      b: cellOf(t, r, index.get('b')!, num),
      r2: cellOf(t, r, index.get('r2')!, num),
      num_points: cellOf(t, r, index.get('num_points')!, intNaN),
    };
  });
}

/** `<model>_H_N.csv` (file order kept; N distinct). */
export function readHN(text: string, file: string, maxRows: number, warn: Warn): HNRow[] {
  const t = readCsv(text, file, maxRows);
  const { index, extra } = columnsOf(t, ['N', 'H_N'] as const, [], true);
  extraColumns(t, extra, warn);
  const seen = new Map<number, number>();
  return t.rows.map((r) => {
    const N = cellOf(t, r, index.get('N')!, intMin(1));
    uniqueKey(t, seen, N, r.line, index.get('N')!, 'N');
    return { N, H_N: cellOf(t, r, index.get('H_N')!, intNaN) };
  });
}

/** `H_N_summary.csv` (per seed): `N,H_N_<model>…` → rows per model (an empty cell: the model lacks that N). */
export function readHNSummary(text: string, file: string, maxRows: number, warn: Warn): Map<ArchName, HNRow[]> {
  const t = readCsv(text, file, maxRows);
  const models = t.header.slice(t.skip).filter((h) => /^H_N_(const|shared|diag|gru|lstm)$/.test(h)).map((h) => h.slice(4) as ArchName);
  const { index, extra } = columnsOf(t, ['N'], models.map((m) => `H_N_${m}`), true);
  extraColumns(t, extra, warn);
  const out = new Map<ArchName, HNRow[]>(models.map((m) => [m, []]));
  const seen = new Map<number, number>();
  for (const r of t.rows) {
    const N = cellOf(t, r, index.get('N')!, intMin(1));
    uniqueKey(t, seen, N, r.line, index.get('N')!, 'N');
    for (const m of models) {
      const col = index.get(`H_N_${m}`)!;
      if (r.cells[col]!.trim() === '') continue;
      out.get(m)!.push({ N, H_N: cellOf(t, r, col, intNaN) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON files
// ---------------------------------------------------------------------------

function obj(v: JsonValue | undefined, file: string, what: string): { [k: string]: JsonValue } {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(file, `${what} must be a JSON object`);
  return v;
}

/** A number field: a number, NaN/±Infinity (Python's tokens) or null (NaN: our writer's spelling of a non-finite number). */
function jnum(o: { [k: string]: JsonValue }, k: string, file: string, path: string): number {
  if (!Object.prototype.hasOwnProperty.call(o, k)) fail(file, `${path}${k} is missing`);
  const v = o[k];
  if (v === null) return NaN;
  if (typeof v !== 'number') fail(file, `${path}${k} must be a number (got ${JSON.stringify(v)})`);
  return v;
}

function extraKeys(o: { [k: string]: JsonValue }, known: readonly string[], file: string, path: string, warn: Warn): void {
  const extra = Object.keys(o).filter((k) => !known.includes(k));
  if (extra.length > 0) warn(`${file}: ignored the unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `${path}${k}`).join(', ')}`);
}

/** `<model>_envelope_fits.json`: the reference's exp and power; our log and best when present (null when absent). */
export function readEnvelope(v: JsonValue, file: string, warn: Warn): {
  exp: EnvelopeFitsRecord['exp']; power: EnvelopeFitsRecord['power']; log: EnvelopeFitsRecord['log'] | null; best: EnvelopeRegimeName | null;
} {
  const o = obj(v, file, 'the file');
  extraKeys(o, ['exp', 'power', 'log', 'best'], file, '', warn);
  const e = obj(o.exp, file, 'exp');
  const p = obj(o.power, file, 'power');
  extraKeys(e, ['a', 'b', 'r2', 'tau_env'], file, 'exp.', warn);
  extraKeys(p, ['c', 'd', 'r2'], file, 'power.', warn);
  let log: EnvelopeFitsRecord['log'] | null = null;
  if (o.log !== undefined) {
    const g = obj(o.log, file, 'log');
    extraKeys(g, ['e', 'g', 'r2'], file, 'log.', warn);
    log = { e: jnum(g, 'e', file, 'log.'), g: jnum(g, 'g', file, 'log.'), r2: jnum(g, 'r2', file, 'log.') };
  }
  let best: EnvelopeRegimeName | null = null;
  if (o.best !== undefined) {
    if (o.best !== 'exp' && o.best !== 'power' && o.best !== 'log') fail(file, `best must be "exp", "power" or "log" (got ${JSON.stringify(o.best)})`);
    best = o.best;
  }
  return {
    exp: { a: jnum(e, 'a', file, 'exp.'), b: jnum(e, 'b', file, 'exp.'), r2: jnum(e, 'r2', file, 'exp.'), tau_env: jnum(e, 'tau_env', file, 'exp.') },
    power: { c: jnum(p, 'c', file, 'power.'), d: jnum(p, 'd', file, 'power.'), r2: jnum(p, 'r2', file, 'power.') },
    log,
    best,
  };
}

/** `const_tau_const.json`: {s, leak, tau}. */
export function readConstTau(v: JsonValue, file: string, warn: Warn): ConstTauRecord {
  const o = obj(v, file, 'the file');
  extraKeys(o, ['s', 'leak', 'tau'], file, '', warn);
  return { s: jnum(o, 's', file, ''), leak: jnum(o, 'leak', file, ''), tau: jnum(o, 'tau', file, '') };
}

/** `<model>_master_fit.json` (ours): {slope, intercept, r2, n} or {skipped}. */
export function readMaster(v: JsonValue, file: string, warn: Warn): MasterFitRecord {
  const o = obj(v, file, 'the file');
  if (o.skipped !== undefined) {
    if (typeof o.skipped !== 'string') fail(file, `skipped must be a text (got ${JSON.stringify(o.skipped)})`);
    extraKeys(o, ['skipped'], file, '', warn);
    return { skipped: o.skipped };
  }
  extraKeys(o, ['slope', 'intercept', 'r2', 'n'], file, '', warn);
  const n = jnum(o, 'n', file, '');
  if (!(Number.isNaN(n) || Number.isSafeInteger(n))) fail(file, `n must be an integer (got ${n})`);
  return { slope: jnum(o, 'slope', file, ''), intercept: jnum(o, 'intercept', file, ''), r2: jnum(o, 'r2', file, ''), n };
}

/** What `<model>_status.json` (ours, results-writer.ts RunStatusRecord) tells. */
export interface RunStatusFile {
  status: 'done' | 'diverged' | 'cancelled' | 'failed';
  divergedEpoch: number | null;
  kernels: string | null;
  /** the backend the run executed on and its adapter, when recorded */
  backend?: ComputeBackend;
  adapter?: string;
  diagnostics: DiagnosticsStatus;
  /** milliseconds, when recorded */
  trainMs?: number;
  diagnosticsMs?: number;
  wallMs?: number;
  error?: string;
  /** sequences per diagnostic batch, when recorded */
  batchSize?: number;
  model?: string;
  seed?: number;
}

const RUN_FILE_STATUSES = ['done', 'diverged', 'cancelled', 'failed'] as const;
const DIAG_STATUSES = ['done', 'skipped', 'cancelled', 'failed'] as const;

export function readStatus(v: JsonValue, file: string, warn: Warn): RunStatusFile {
  const o = obj(v, file, 'the file');
  extraKeys(o, ['model', 'seed', 'status', 'epochs', 'diverged_epoch', 'kernels', 'backend', 'adapter', 'diagnostics', 'timings_s', 'error',
    'diagnostics_batch_size'], file, '', warn);
  const status = o.status;
  if (!RUN_FILE_STATUSES.includes(status as never)) fail(file, `status must be one of ${RUN_FILE_STATUSES.join(', ')} (got ${JSON.stringify(status)})`);
  const diagnostics = o.diagnostics;
  if (!DIAG_STATUSES.includes(diagnostics as never)) fail(file, `diagnostics must be one of ${DIAG_STATUSES.join(', ')} (got ${JSON.stringify(diagnostics)})`);
  const de = o.diverged_epoch ?? null;
  if (de !== null && !(typeof de === 'number' && Number.isSafeInteger(de) && de >= 0)) fail(file, `diverged_epoch must be an integer >= 0 or null (got ${JSON.stringify(de)})`);
  const kernels = o.kernels ?? null;
  if (kernels !== null && typeof kernels !== 'string') fail(file, `kernels must be a text or null (got ${JSON.stringify(kernels)})`);
  const out: RunStatusFile = {
    status: status as RunStatusFile['status'], divergedEpoch: de as number | null, kernels, diagnostics: diagnostics as DiagnosticsStatus,
  };
  if (o.timings_s !== undefined && o.timings_s !== null) {
    const t = obj(o.timings_s, file, 'timings_s');
    const ms = (k: string): number | undefined => {
      const x = t[k];
      if (x === null || x === undefined) return undefined;
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) fail(file, `timings_s.${k} must be a number of seconds >= 0 or null (got ${JSON.stringify(x)})`);
      return x * 1000;
    };
    const tr = ms('training');
    const di = ms('diagnostics');
    const to = ms('total');
    if (tr !== undefined) out.trainMs = tr;
    if (di !== undefined) out.diagnosticsMs = di;
    if (to !== undefined) out.wallMs = to;
  }
  if (o.error !== undefined && o.error !== null) {
    if (typeof o.error !== 'string') fail(file, `error must be a text (got ${JSON.stringify(o.error)})`);
    out.error = o.error;
  }
  const bs = o.diagnostics_batch_size;
  if (bs !== undefined && bs !== null) {
    if (!(typeof bs === 'number' && Number.isSafeInteger(bs) && bs >= 1)) fail(file, `diagnostics_batch_size must be an integer >= 1 (got ${JSON.stringify(bs)})`);
    out.batchSize = bs;
  }
  if (o.backend !== undefined && o.backend !== null) {
    if (!COMPUTE_BACKENDS.includes(o.backend as never)) fail(file, `backend must be one of ${COMPUTE_BACKENDS.join(', ')} (got ${JSON.stringify(o.backend)})`);
    out.backend = o.backend as ComputeBackend;
  }
  if (o.adapter !== undefined && o.adapter !== null) {
    if (typeof o.adapter !== 'string') fail(file, `adapter must be a text or null (got ${JSON.stringify(o.adapter)})`);
    out.adapter = o.adapter;
  }
  if (typeof o.model === 'string') out.model = o.model;
  if (typeof o.seed === 'number') out.seed = o.seed;
  return out;
}
