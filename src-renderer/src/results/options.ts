/**
 * Chart option builders (pure functions of the shaped results, results/shape.ts):
 * each returns the ECharts option and the table behind the chart (rows +
 * columns for ChartCard / DataTable, sortable and exportable as CSV).
 * Large-data settings: lines use sampling 'lttb', no symbols on dense lines,
 * progressive rendering; scatters use large mode; animation is off (the
 * e2e tests and paper-sized results both want it off).
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import type { ArchName } from '../../../src-shared/config';
import type { EnvelopeRegimeName } from '../../../src-shared/results';
import type { ArchResults, CurveKey } from './shape';
import type { KeyedStat } from './stats';
import { fittedEnvelope } from './theory-rule';

export type Mode = 'aggregate' | 'seeds';

export interface TableColumn {
  key: string;
  title?: string;
  width?: number;
}

export interface ChartSpec {
  option: EChartsOption;
  rows: Record<string, unknown>[];
  columns: TableColumn[];
}

export const ARCH_COLORS: Record<ArchName, string> = {
  const: '#1f77b4', shared: '#2ca02c', diag: '#ff7f0e', gru: '#d62728', lstm: '#9467bd',
};

/** A distinct colour for the i-th item of a comparison. */
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

const REGIME_LABEL: Record<EnvelopeRegimeName, string> = { exp: 'exponential', power: 'power', log: 'logarithmic' };
const REGIME_DASH: Record<EnvelopeRegimeName, 'dashed' | 'dotted' | 'solid'> = { exp: 'dashed', power: 'dotted', log: 'solid' };

/** scatter points above which ECharts' large mode (one displayable per series) is used */
const LARGE = 400;

function fmt(v: number, digits = 3): string {
  return Number.isFinite(v) ? (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(2) : v.toFixed(digits)) : String(v);
}

function base(title: { x: string; y: string; xLog?: boolean; yLog?: boolean }): EChartsOption {
  return {
    animation: false,
    backgroundColor: 'transparent',
    grid: { left: 64, right: 24, top: 48, bottom: 48, containLabel: false },
    tooltip: { trigger: 'item', confine: true },
    legend: { type: 'scroll', top: 0 },
    xAxis: { type: title.xLog ? 'log' : 'value', name: title.x, nameLocation: 'middle', nameGap: 28, scale: true, splitLine: { show: false }, ...(title.xLog ? { min: 'dataMin', max: 'dataMax' } : {}) },
    yAxis: { type: title.yLog ? 'log' : 'value', name: title.y, nameLocation: 'middle', nameGap: 48, scale: true },
  };
}

function lineSeries(name: string, color: string, data: [number, number][], extra: Record<string, unknown> = {}): SeriesOption {
  return {
    type: 'line', name, data, color, showSymbol: data.length <= 40, symbolSize: 5, connectNulls: false,
    sampling: 'lttb', progressive: 4000, lineStyle: { width: 1.6 }, emphasis: { focus: 'series' },
    ...extra,
  } as SeriesOption;
}

/**
 * A mean ± std band as one polygon (custom series): robust on log axes
 * (non-positive or non-finite bounds are left out). `name` is the legend
 * entry it toggles with (the mean line shares it).
 */
export function bandSeries(name: string, color: string, xs: readonly number[], lo: readonly number[], hi: readonly number[], logY = false): SeriesOption {
  const ok = (i: number) => Number.isFinite(xs[i]!) && Number.isFinite(lo[i]!) && Number.isFinite(hi[i]!) && (!logY || lo[i]! > 0);
  const idx = xs.map((_, i) => i).filter(ok);
  const data = idx.map((i) => [xs[i]!, lo[i]!, hi[i]!]);
  return {
    type: 'custom', name, color, silent: true, z: 1, data, encode: { x: 0, y: [1, 2] }, tooltip: { show: false },
    renderItem: (params: { dataIndex: number }, api: { coord: (v: number[]) => number[] }) => {
      if (params.dataIndex !== 0 || data.length < 2) return null;
      const up = data.map((d) => api.coord([d[0]!, d[2]!]));
      const down = data.map((d) => api.coord([d[0]!, d[1]!])).reverse();
      return { type: 'polygon', shape: { points: [...up, ...down] }, style: { fill: color, opacity: 0.18 } };
    },
  } as unknown as SeriesOption;
}

/** Mean line + band of a keyed seed aggregate (transform maps values, e.g. exp of a log mean). */
function aggSeries(name: string, color: string, stats: readonly KeyedStat[], opts: { logY?: boolean; xFilter?: (x: number) => boolean; band?: boolean } = {}): SeriesOption[] {
  const pts = stats.filter((s) => s.count > 0 && Number.isFinite(s.mean) && (!opts.logY || s.mean > 0) && (!opts.xFilter || opts.xFilter(s.key)));
  const out: SeriesOption[] = [lineSeries(name, color, pts.map((s) => [s.key, s.mean]))];
  if (opts.band !== false && pts.some((s) => s.count > 1)) {
    const xs = pts.map((s) => s.key);
    const lo = pts.map((s) => (opts.logY && s.mean - s.std <= 0 ? s.mean / 10 : s.mean - s.std));
    const hi = pts.map((s) => s.mean + s.std);
    // after the line: the legend takes its icon from the first series of a name
    out.push(bandSeries(name, color, xs, lo, hi, opts.logY));
  }
  return out;
}

const SEED_DASH = ['solid', 'dashed', 'dotted', 'dashed', 'dotted'] as const;

function seedLine(a: ArchResults, seed: number, k: number, data: [number, number][], extra: Record<string, unknown> = {}): SeriesOption {
  return lineSeries(`${a.arch} s${seed}`, ARCH_COLORS[a.arch], data, { lineStyle: { width: 1.2, type: SEED_DASH[k % SEED_DASH.length] }, ...extra });
}

// ---------------------------------------------------------------------------
// H_N against N with the theory curve
// ---------------------------------------------------------------------------

export function hnChart(archs: readonly ArchResults[], mode: Mode, showTheory = true): ChartSpec {
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const theory = new Map<number, number>();
    if (a.theory.ok) for (const p of a.theory.points) theory.set(p.N, p.H_N);
    if (mode === 'aggregate') {
      series.push(...aggSeries(a.arch, color, a.hn.filter((s) => s.key > 0)));
      for (const s of a.hn) rows.push({ arch: a.arch, N: s.key, H_N_mean: s.mean, H_N_std: s.std, seeds: s.count, theory: theory.get(s.key) ?? NaN });
    } else {
      a.diags.forEach(({ seed, d }, k) => {
        series.push(seedLine(a, seed, k, d.H_N.filter((r) => r.N > 0 && Number.isFinite(r.H_N)).map((r) => [r.N, r.H_N])));
        for (const r of d.H_N) rows.push({ arch: a.arch, seed, N: r.N, H_N: r.H_N, theory: theory.get(r.N) ?? NaN });
      });
    }
    if (showTheory && a.theory.ok) {
      series.push(lineSeries(`${a.arch} theory (${REGIME_LABEL[a.theory.regime]})`, color, a.theory.points.filter((p) => p.N > 0 && Number.isFinite(p.H_N)).map((p) => [p.N, p.H_N]), {
        showSymbol: false, lineStyle: { width: 1.4, type: 'dashed', opacity: 0.85 }, z: 3,
      }));
    }
  }
  const option = { ...base({ x: 'N (samples)', y: 'H_N (lag)', xLog: true }), series };
  const columns: TableColumn[] = mode === 'aggregate'
    ? [{ key: 'arch' }, { key: 'N' }, { key: 'H_N_mean' }, { key: 'H_N_std' }, { key: 'seeds' }, { key: 'theory', title: 'theory H_N' }]
    : [{ key: 'arch' }, { key: 'seed' }, { key: 'N' }, { key: 'H_N' }, { key: 'theory', title: 'theory H_N' }];
  return { option, rows, columns };
}

/** Theory parameters per architecture (the table next to the H_N chart). */
export function theoryTable(archs: readonly ArchResults[]): Record<string, unknown>[] {
  return archs.map((a) => (a.theory.ok
    ? {
      arch: a.arch, regime: REGIME_LABEL[a.theory.regime], f0: a.theory.params.f0,
      scale: a.theory.params.tau ?? a.theory.params.beta ?? a.theory.params.gamma ?? NaN,
      alpha: a.theory.params.alpha, sigma: a.theory.params.sigma, c: a.theory.params.c, eps: a.theory.params.eps, note: '',
    }
    : { arch: a.arch, regime: '', f0: NaN, scale: NaN, alpha: NaN, sigma: NaN, c: NaN, eps: NaN, note: a.theory.reason }));
}

export const THEORY_COLUMNS: TableColumn[] = [
  { key: 'arch' }, { key: 'regime' }, { key: 'f0' }, { key: 'scale', title: 'τ / β / γ' }, { key: 'alpha', title: 'α' },
  { key: 'sigma', title: 'σ' }, { key: 'c' }, { key: 'eps', title: 'ε' }, { key: 'note', width: 260 },
];

// ---------------------------------------------------------------------------
// Envelope with its fits (and per-unit envelopes on demand)
// ---------------------------------------------------------------------------

export type EnvelopeQuantity = 'logmean' | 'mean';

export interface EnvelopeOptions {
  /** 'logmean': exp(mean_b log m_b), the quantity the §6 fits use; 'mean': f̂ = mu_l1_mean */
  quantity: EnvelopeQuantity;
  /** which architectures get all three fits drawn (others: none) */
  fitsFor: readonly ArchName[];
  /** draw only each architecture's best regime (by R²) */
  bestOnly?: boolean;
  /** per-unit μ_q(ℓ) of one run */
  units?: { arch: ArchName; seed: number; lags: readonly number[]; mu: readonly ArrayLike<number>[] } | null;
}

export function envelopeChart(archs: readonly ArchResults[], mode: Mode, o: EnvelopeOptions): ChartSpec {
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  const value = (logF: number, f: number) => (o.quantity === 'logmean' ? Math.exp(logF) : f);
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    if (mode === 'aggregate') {
      const stats: KeyedStat[] = a.envelope.map((p) => (o.quantity === 'logmean'
        ? { key: p.ell, mean: Math.exp(p.logF.mean), std: 0, count: p.logF.count }
        : { key: p.ell, ...p.f }));
      const line = aggSeries(a.arch, color, stats, { logY: true, band: o.quantity === 'mean' });
      if (o.quantity === 'logmean' && a.envelope.some((p) => p.logF.count > 1)) {
        // geometric band: exp(mean ± std of the log)
        const pts = a.envelope.filter((p) => Number.isFinite(p.logF.mean) && Number.isFinite(p.logF.std));
        line.push(bandSeries(a.arch, color, pts.map((p) => p.ell), pts.map((p) => Math.exp(p.logF.mean - p.logF.std)), pts.map((p) => Math.exp(p.logF.mean + p.logF.std)), true));
      }
      series.push(...line);
      for (const p of a.envelope) rows.push({ arch: a.arch, ell: p.ell, log_f_mean: p.logF.mean, log_f_std: p.logF.std, f_mean: p.f.mean, f_std: p.f.std, seeds: p.logF.count });
    } else {
      a.diags.forEach(({ seed, d }, k) => {
        const pts: [number, number][] = [];
        for (const r of d.summary) {
          const v = value(r.log_mu_l1_mean, r.mu_l1_mean);
          rows.push({ arch: a.arch, seed, ell: r.ell, log_mu_l1_mean: r.log_mu_l1_mean, mu_l1_mean: r.mu_l1_mean });
          if (Number.isFinite(v) && v > 0) pts.push([r.ell, v]);
        }
        series.push(seedLine(a, seed, k, pts));
      });
    }
    if (a.envelopeFit && o.fitsFor.includes(a.arch) && a.envelope.length > 0) {
      const ells = a.envelope.map((p) => p.ell);
      for (const reg of ['exp', 'power', 'log'] as const) {
        const r2 = a.envelopeFit[reg].r2;
        if (!Number.isFinite(r2) || (o.bestOnly && a.envelopeFit.best !== reg)) continue;
        const pts = ells.map((l) => [l, fittedEnvelope(a.envelopeFit!, reg, l)] as [number, number]).filter(([, v]) => Number.isFinite(v) && v > 0);
        const best = a.envelopeFit.best === reg ? ' ★' : '';
        series.push(lineSeries(`${a.arch} ${REGIME_LABEL[reg]} fit R²=${r2.toFixed(3)}${best}`, color, pts, {
          showSymbol: false, lineStyle: { width: 1.2, type: REGIME_DASH[reg], opacity: 0.9 }, z: 3,
        }));
      }
    }
  }
  if (o.units) {
    const { lags, mu, arch, seed } = o.units;
    const name = `${arch} s${seed} units`;
    const H = mu.length > 0 ? mu[0]!.length : 0;
    for (let q = 0; q < H; q++) {
      const pts: [number, number][] = [];
      for (let i = 0; i < lags.length; i++) {
        const v = mu[i]![q]!;
        if (Number.isFinite(v) && v > 0) pts.push([lags[i]!, v]);
      }
      series.push({
        type: 'line', name, data: pts, color: '#888', showSymbol: false, silent: true, z: 0, sampling: 'lttb',
        lineStyle: { width: 0.6, opacity: 0.35 }, tooltip: { show: false }, progressive: 4000,
      } as SeriesOption);
    }
  }
  const option = { ...base({ x: 'lag ℓ', y: o.quantity === 'logmean' ? 'exp(mean log m_b(ℓ))' : 'f̂(ℓ) = mean m_b(ℓ)', yLog: true }), series };
  const columns: TableColumn[] = mode === 'aggregate'
    ? [{ key: 'arch' }, { key: 'ell', title: 'ℓ' }, { key: 'log_f_mean' }, { key: 'log_f_std' }, { key: 'f_mean' }, { key: 'f_std' }, { key: 'seeds' }]
    : [{ key: 'arch' }, { key: 'seed' }, { key: 'ell', title: 'ℓ' }, { key: 'log_mu_l1_mean' }, { key: 'mu_l1_mean' }];
  return { option, rows, columns };
}

/** Envelope fits table: the seed-mean refit and each seed's own fit. */
export function envelopeFitRows(archs: readonly ArchResults[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    const fits = [...(a.envelopeFit ? [{ seed: 'mean', fit: a.envelopeFit }] : []), ...a.diags.map(({ seed, d }) => ({ seed: String(seed), fit: d.envelope }))];
    for (const { seed, fit } of fits) {
      rows.push({
        arch: a.arch, seed, best: fit.best, exp_r2: fit.exp.r2, tau_env: fit.exp.tau_env, exp_a: fit.exp.a, exp_b: fit.exp.b,
        power_r2: fit.power.r2, power_c: fit.power.c, power_d: fit.power.d, log_r2: fit.log.r2, log_e: fit.log.e, log_g: fit.log.g,
      });
    }
  }
  return rows;
}

export const ENVELOPE_FIT_COLUMNS: TableColumn[] = [
  'arch', 'seed', 'best', 'exp_r2', 'tau_env', 'exp_a', 'exp_b', 'power_r2', 'power_c', 'power_d', 'log_r2', 'log_e', 'log_g',
].map((key) => ({ key, width: key === 'arch' || key === 'seed' || key === 'best' ? 80 : 110 }));

// ---------------------------------------------------------------------------
// α̂(ℓ) and σ̂(ℓ)
// ---------------------------------------------------------------------------

function unreliableScatter(a: ArchResults, pick: 'alpha' | 'sigma', logY: boolean): SeriesOption {
  const pts = a.alphaPoints.filter((p) => !p.reliable && Number.isFinite(p[pick]) && (!logY || p[pick] > 0)).map((p) => [p.ell, p[pick], p.seed]);
  return {
    type: 'scatter', name: `${a.arch} unreliable`, data: pts, color: ARCH_COLORS[a.arch], symbol: 'emptyTriangle', symbolSize: 7,
    large: pts.length > LARGE, largeThreshold: LARGE, itemStyle: { opacity: 0.8 },
  } as SeriesOption;
}

function alphaLike(archs: readonly ArchResults[], mode: Mode, pick: 'alpha' | 'sigma'): ChartSpec {
  const logY = pick === 'sigma';
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    if (mode === 'aggregate') {
      series.push(...aggSeries(a.arch, color, pick === 'alpha' ? a.alpha : a.sigma, { logY }));
      for (const s of pick === 'alpha' ? a.alpha : a.sigma) rows.push({ arch: a.arch, ell: s.key, mean: s.mean, std: s.std, reliable_seeds: s.count });
    } else {
      a.diags.forEach(({ seed }, k) => {
        const pts = a.alphaPoints.filter((p) => p.seed === seed && p.reliable && Number.isFinite(p[pick]) && (!logY || p[pick] > 0)).map((p) => [p.ell, p[pick]] as [number, number]);
        series.push(seedLine(a, seed, k, pts));
      });
    }
    series.push(unreliableScatter(a, pick, logY));
    if (mode === 'seeds') for (const p of a.alphaPoints) rows.push({ arch: a.arch, seed: p.seed, ell: p.ell, alpha_hat: p.alpha, sigma_alpha_hat: p.sigma, reliable: p.reliable });
  }
  const yName = pick === 'alpha' ? 'α̂(ℓ)' : 'σ̂(ℓ)';
  const option = { ...base({ x: 'lag ℓ', y: yName, yLog: logY }), series } as EChartsOption;
  if (pick === 'alpha') (option.yAxis as Record<string, unknown>).min = 1, (option.yAxis as Record<string, unknown>).max = 2;
  const columns: TableColumn[] = mode === 'aggregate'
    ? [{ key: 'arch' }, { key: 'ell', title: 'ℓ' }, { key: 'mean' }, { key: 'std' }, { key: 'reliable_seeds' }]
    : [{ key: 'arch' }, { key: 'seed' }, { key: 'ell', title: 'ℓ' }, { key: 'alpha_hat' }, { key: 'sigma_alpha_hat' }, { key: 'reliable' }];
  return { option, rows, columns };
}

/** α̂(ℓ): reliable estimates as lines (mean ± std over seeds), unreliable ones as hollow triangles. */
export function alphaChart(archs: readonly ArchResults[], mode: Mode): ChartSpec {
  return alphaLike(archs, mode, 'alpha');
}

export function sigmaChart(archs: readonly ArchResults[], mode: Mode): ChartSpec {
  return alphaLike(archs, mode, 'sigma');
}

// ---------------------------------------------------------------------------
// N_required(ℓ) and the master law
// ---------------------------------------------------------------------------

export function nreqChart(archs: readonly ArchResults[], mode: Mode): ChartSpec {
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    if (mode === 'aggregate') {
      series.push(...aggSeries(a.arch, ARCH_COLORS[a.arch], a.nreq, { logY: true }));
      for (const s of a.nreq) rows.push({ arch: a.arch, ell: s.key, N_required_mean: s.mean, N_required_std: s.std, detected_seeds: s.count });
    } else {
      a.diags.forEach(({ seed, d }, k) => {
        series.push(seedLine(a, seed, k, d.summary.filter((r) => r.N_required_at_eps > 0).map((r) => [r.ell, r.N_required_at_eps])));
        for (const r of d.summary) rows.push({ arch: a.arch, seed, ell: r.ell, N_required: r.N_required_at_eps, best_snr: r.best_snr, best_N: r.best_N_for_ell, mbar: r.mbar_scalar });
      });
    }
  }
  const option = { ...base({ x: 'lag ℓ', y: 'N_required(ℓ)', yLog: true }), series };
  const columns: TableColumn[] = mode === 'aggregate'
    ? [{ key: 'arch' }, { key: 'ell', title: 'ℓ' }, { key: 'N_required_mean' }, { key: 'N_required_std' }, { key: 'detected_seeds' }]
    : [{ key: 'arch' }, { key: 'seed' }, { key: 'ell', title: 'ℓ' }, { key: 'N_required' }, { key: 'best_snr' }, { key: 'best_N' }, { key: 'mbar' }];
  return { option, rows, columns };
}

/** Master law: log N_required against -κ_α log f̂, pooled OLS line per architecture, and the theory's slope 1. */
export function masterChart(archs: readonly ArchResults[]): ChartSpec {
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  let xmin = Infinity, xmax = -Infinity;
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const pts = a.master.map((p) => [p.x, p.y, p.seed, p.ell]);
    for (const p of a.master) {
      xmin = Math.min(xmin, p.x);
      xmax = Math.max(xmax, p.x);
      rows.push({ arch: a.arch, seed: p.seed, ell: p.ell, x: p.x, log_N: p.y });
    }
    series.push({ type: 'scatter', name: a.arch, data: pts, color, symbolSize: 5, large: pts.length > LARGE, largeThreshold: LARGE } as SeriesOption);
    const f = a.masterPooled;
    if (Number.isFinite(f.slope) && a.master.length > 1) {
      const lo = Math.min(...a.master.map((p) => p.x));
      const hi = Math.max(...a.master.map((p) => p.x));
      series.push(lineSeries(`${a.arch} fit slope ${fmt(f.slope)} (theory 1)`, color, [[lo, f.intercept + f.slope * lo], [hi, f.intercept + f.slope * hi]], { showSymbol: false, lineStyle: { width: 1.6, type: 'solid' } }));
    }
  }
  if (Number.isFinite(xmin) && xmax > xmin) {
    // slope-1 reference through the centroid of all points
    const all = archs.flatMap((a) => a.master);
    const cx = all.reduce((s, p) => s + p.x, 0) / all.length;
    const cy = all.reduce((s, p) => s + p.y, 0) / all.length;
    series.push(lineSeries('theory slope 1', '#888', [[xmin, cy + (xmin - cx)], [xmax, cy + (xmax - cx)]], { showSymbol: false, lineStyle: { width: 1.2, type: 'dashed' } }));
  }
  const option = { ...base({ x: '−κ_α log f̂(ℓ)', y: 'log N_required(ℓ)' }), series };
  return { option, rows, columns: [{ key: 'arch' }, { key: 'seed' }, { key: 'ell', title: 'ℓ' }, { key: 'x', title: '-kappa*log f' }, { key: 'log_N' }] };
}

/** The master-law fits: pooled, mean over seeds, and each seed's own (from the run's diagnostics). */
export function masterFitRows(archs: readonly ArchResults[]): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    rows.push({ arch: a.arch, seed: 'pooled', slope: a.masterPooled.slope, intercept: a.masterPooled.intercept, r2: a.masterPooled.r2, n: a.masterPooled.n, theory_slope: 1, note: '' });
    rows.push({ arch: a.arch, seed: 'mean of seeds', slope: a.masterSlope.mean, intercept: NaN, r2: NaN, n: a.masterSlope.count, theory_slope: 1, note: `std ${fmt(a.masterSlope.std)}` });
    for (const m of a.seedMasters) {
      rows.push('skipped' in m
        ? { arch: a.arch, seed: String(m.seed), slope: NaN, intercept: NaN, r2: NaN, n: 0, theory_slope: 1, note: `skipped: ${m.skipped}` }
        : { arch: a.arch, seed: String(m.seed), slope: m.slope, intercept: m.intercept, r2: m.r2, n: m.n, theory_slope: 1, note: '' });
    }
  }
  return rows;
}

export const MASTER_FIT_COLUMNS: TableColumn[] = [
  { key: 'arch', width: 80 }, { key: 'seed', width: 110 }, { key: 'slope' }, { key: 'theory_slope', title: 'theory' }, { key: 'intercept' }, { key: 'r2', title: 'R²' }, { key: 'n' }, { key: 'note', width: 260 },
];

// ---------------------------------------------------------------------------
// τ distributions
// ---------------------------------------------------------------------------

/** Box plot of the per-unit τ per architecture (log axis), ConstGate's closed form marked. */
export function tauChart(archs: readonly ArchResults[]): ChartSpec {
  const names = archs.map((a) => a.arch);
  const boxes = archs.map((a) => (a.tauBox.n > 0 ? [a.tauBox.min, a.tauBox.q1, a.tauBox.median, a.tauBox.q3, a.tauBox.max] : []));
  const outliers = archs.flatMap((a, i) => a.tauBox.outliers.map((v) => [i, v]));
  const series: SeriesOption[] = [
    {
      type: 'boxplot', name: 'τ per unit', data: boxes.map((b, i) => ({ value: b, itemStyle: { borderColor: ARCH_COLORS[archs[i]!.arch] } })),
      tooltip: { trigger: 'item' },
    } as SeriesOption,
    { type: 'scatter', name: 'outliers', data: outliers, symbolSize: 4, color: '#888', large: outliers.length > LARGE, largeThreshold: LARGE } as SeriesOption,
  ];
  const closed = archs.map((a, i) => [i, a.tauClosedForm] as const).filter(([, t]) => t !== null && Number.isFinite(t) && t > 0);
  if (closed.length > 0) {
    series.push({
      type: 'scatter', name: 'ConstGate closed form −1/log(1−s)', color: '#000', symbol: 'diamond', symbolSize: 14, z: 5,
      data: closed.map(([i, t]) => [i, t]),
      markLine: { silent: true, symbol: 'none', lineStyle: { type: 'dashed', color: ARCH_COLORS.const }, label: { formatter: `τ = ${fmt(closed[0]![1]!, 2)}`, position: 'insideEndTop' }, data: [{ yAxis: closed[0]![1]! }] },
    } as SeriesOption);
  }
  const option: EChartsOption = {
    ...base({ x: '', y: 'τ (steps)', yLog: true }),
    xAxis: { type: 'category', data: names },
    tooltip: { trigger: 'item', confine: true },
    series,
  };
  const rows = archs.map((a) => ({
    arch: a.arch, units: a.tau.length, min: a.tauBox.min, q1: a.tauBox.q1, median: a.tauBox.median, q3: a.tauBox.q3, max: a.tauBox.max,
    infinite: a.tauInfinite, not_fitted: a.tauNaN, closed_form: a.tauClosedForm ?? NaN,
  }));
  const columns = ['arch', 'units', 'min', 'q1', 'median', 'q3', 'max', 'infinite', 'not_fitted', 'closed_form'].map((key) => ({ key }));
  return { option, rows, columns };
}

// ---------------------------------------------------------------------------
// Learning curves and gate statistics
// ---------------------------------------------------------------------------

export function curvesChart(archs: readonly ArchResults[], mode: Mode, metric: 'loss' | 'r2'): ChartSpec {
  const keys: CurveKey[] = metric === 'loss' ? ['train_loss', 'val_loss'] : ['train_acc', 'val_acc'];
  const logY = metric === 'loss';
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    for (const k of keys) {
      const label = `${a.arch} ${k.startsWith('train') ? 'train' : 'val'}`;
      const dash = k.startsWith('train') ? 'solid' : 'dashed';
      if (mode === 'aggregate') {
        const s = aggSeries(label, color, a.curves[k], { logY });
        for (const x of s) if (x.type === 'line') (x as { lineStyle: Record<string, unknown> }).lineStyle = { width: 1.4, type: dash };
        series.push(...s);
      } else {
        a.runs.forEach(({ seed, result }) => {
          series.push(lineSeries(`${label} s${seed}`, color, result.curve.filter((c) => Number.isFinite(c[k]) && (!logY || c[k] > 0)).map((c) => [c.epoch, c[k]]), { lineStyle: { width: 1, type: dash }, showSymbol: false }));
        });
      }
    }
    if (mode === 'aggregate') {
      const [k1, k2] = keys;
      a.curves[k1!].forEach((s, i) => {
        const v = a.curves[k2!][i];
        rows.push({ arch: a.arch, epoch: s.key, [`${k1}_mean`]: s.mean, [`${k1}_std`]: s.std, [`${k2}_mean`]: v?.mean ?? NaN, [`${k2}_std`]: v?.std ?? NaN, seeds: s.count });
      });
    } else {
      for (const { seed, result } of a.runs) for (const c of result.curve) rows.push({ arch: a.arch, seed, epoch: c.epoch, [keys[0]!]: c[keys[0]!], [keys[1]!]: c[keys[1]!] });
    }
  }
  const option = { ...base({ x: 'epoch', y: metric === 'loss' ? 'MSE loss' : 'R²', yLog: logY }), series };
  const columns: TableColumn[] = mode === 'aggregate'
    ? [{ key: 'arch' }, { key: 'epoch' }, { key: `${keys[0]}_mean` }, { key: `${keys[0]}_std` }, { key: `${keys[1]}_mean` }, { key: `${keys[1]}_std` }, { key: 'seeds' }]
    : [{ key: 'arch' }, { key: 'seed' }, { key: 'epoch' }, { key: keys[0]! }, { key: keys[1]! }];
  return { option, rows, columns };
}

/** Every gate statistic name present in the results. */
export function gateMetrics(archs: readonly ArchResults[]): string[] {
  const s = new Set<string>();
  for (const a of archs) for (const k of a.gates.keys()) s.add(k);
  return [...s].sort();
}

export function gatesChart(archs: readonly ArchResults[], mode: Mode, metric: string): ChartSpec {
  const series: SeriesOption[] = [];
  const rows: Record<string, unknown>[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    if (mode === 'aggregate') {
      const st = a.gates.get(metric);
      if (!st) continue;
      series.push(...aggSeries(a.arch, color, st));
      for (const s of st) rows.push({ arch: a.arch, metric, epoch: s.key, mean: s.mean, std: s.std, seeds: s.count });
    } else {
      a.runs.forEach(({ seed, result }, k) => {
        const pts = result.gateStats.filter((g) => g.metric === metric && Number.isFinite(g.value)).map((g) => [g.epoch, g.value] as [number, number]);
        if (pts.length === 0) return;
        series.push(seedLine(a, seed, k, pts));
        for (const [epoch, value] of pts) rows.push({ arch: a.arch, seed, metric, epoch, value });
      });
    }
  }
  const option = { ...base({ x: 'epoch', y: metric }), series };
  const columns: TableColumn[] = mode === 'aggregate'
    ? [{ key: 'arch' }, { key: 'metric' }, { key: 'epoch' }, { key: 'mean' }, { key: 'std' }, { key: 'seeds' }]
    : [{ key: 'arch' }, { key: 'seed' }, { key: 'metric' }, { key: 'epoch' }, { key: 'value' }];
  return { option, rows, columns };
}
