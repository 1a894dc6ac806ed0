/**
 * The report's figures as ECharts options, rendered to SVG on the server
 * (ECharts SSR: `echarts.init(null, null, { renderer: 'svg', ssr: true })`,
 * no browser, no DOM; animation off). Each function returns the option of one
 * figure from ReportData; `renderSvg` turns an option into an SVG string.
 */
import * as echarts from 'echarts';
import type { ArchName } from '../../../../src-shared/config';
import { fittedEnvelope, type ArchReport } from './report-data';

type Option = echarts.EChartsOption;
type Series = NonNullable<Extract<Option['series'], unknown[]>>[number];

/** One colour per architecture, the same in every figure. */
export const ARCH_COLORS: Record<ArchName, string> = {
  const: '#1f77b4', shared: '#ff7f0e', diag: '#2ca02c', gru: '#d62728', lstm: '#9467bd',
};

export const ARCH_LABELS: Record<ArchName, string> = {
  const: 'ConstGate', shared: 'SharedGate', diag: 'DiagGate', gru: 'GRU', lstm: 'LSTM',
};

/** Pixel size of a rendered figure (drawn 495 pt wide in the PDF). */
export const FIGURE_WIDTH = 660;
export const FIGURE_HEIGHT = 380;

type T = (s: string) => string;

/** a value a linear axis can show (finite, not near the double range's end, where axis extents overflow) */
const finite = (v: number) => Number.isFinite(v) && Math.abs(v) <= 1e300;
/** a value a log axis can show */
const positive = (v: number) => finite(v) && v >= 1e-300;

function base(t: T, legend: string[], extra: Partial<Option> = {}): Option {
  return {
    animation: false,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: 'sans-serif', fontSize: 12 },
    legend: { data: legend.map(t), top: 4, textStyle: { fontSize: 12 }, itemWidth: 18, itemHeight: 10 },
    grid: { left: 70, right: 30, top: 48, bottom: 52 },
    ...extra,
  };
}

function axisName(t: T, name: string, gap = 30): Record<string, unknown> {
  return { name: t(name), nameLocation: 'middle', nameGap: gap, nameTextStyle: { fontSize: 12 } };
}

/** A tick label of a log axis: plain for 0.01 … 10⁴, else 1e-5 style. */
export function logTick(v: number): string {
  if (!(v > 0) || !Number.isFinite(v)) return String(v);
  const e = Math.round(Math.log10(v));
  const p = Number(v.toPrecision(3));
  if (e >= -2 && e <= 4) return String(p);
  const mant = Number((v / 10 ** e).toPrecision(3));
  return mant === 1 ? `1e${e}` : `${mant}e${e}`;
}

function logAxis(t: T, name: string, gap: number): Record<string, unknown> {
  return { type: 'log', logBase: 10, ...axisName(t, name, gap), axisLabel: { formatter: logTick }, axisLine: { onZero: false } };
}

/** The maximum of finite values (fallback when none). */
function maxOf(xs: readonly number[], fallback: number): number {
  let m = -Infinity;
  for (const x of xs) if (finite(x) && x > m) m = x;
  return m === -Infinity ? fallback : m;
}

/**
 * H_N against N (log N axis): seed mean per architecture, a band of ± one
 * sample standard deviation over seeds, and the closed-form theory curve of
 * the best envelope regime (dashed), clipped to the plotted range.
 */
export function hnOption(archs: readonly ArchReport[], lagMax: number, t: T): Option {
  const series: Series[] = [];
  const measuredMax = maxOf(archs.flatMap((a) => a.hn.map((h) => h.mean + (finite(h.std) ? h.std : 0))), 1);
  const yMax = Math.max(1, Math.ceil(Math.max(lagMax, measuredMax) * 1.15));
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const name = t(ARCH_LABELS[a.arch]);
    const pts = a.hn.filter((h) => finite(h.mean) && positive(h.N));
    series.push({ name, type: 'line', data: pts.map((h) => [h.N, h.mean]), color, lineStyle: { color, width: 2 }, itemStyle: { color }, symbol: 'circle', symbolSize: 5, z: 3 });
    const band = pts.filter((h) => finite(h.std) && finite(h.mean + h.std));
    if (band.some((h) => h.std > 0)) {
      const lower = band.map((h) => Math.max(0, h.mean - h.std));
      series.push({ name, type: 'line', stack: `band-${a.arch}`, data: band.map((h, i) => [h.N, lower[i]]), lineStyle: { opacity: 0 }, symbol: 'none', color, z: 1 });
      series.push({
        name, type: 'line', stack: `band-${a.arch}`, data: band.map((h, i) => [h.N, h.mean + h.std - lower[i]!]), lineStyle: { opacity: 0 }, symbol: 'none',
        areaStyle: { color, opacity: 0.18 }, color, z: 1,
      });
    }
    if (a.theory.ok) {
      const cap = yMax * 4;
      series.push({
        name, type: 'line', data: a.theory.points.map((p) => [p.N, finite(p.H_N) ? Math.min(p.H_N, cap) : cap]),
        lineStyle: { color, type: 'dashed', width: 1.5 }, symbol: 'none', color, clip: true, z: 2,
      });
    }
  }
  return base(t, archs.map((a) => ARCH_LABELS[a.arch]), {
    xAxis: { ...logAxis(t, 'N (samples)', 30), min: 'dataMin', max: 'dataMax' },
    yAxis: { type: 'value', min: 0, max: yMax, ...axisName(t, 'H_N (lag)', 40) },
    series,
  });
}

/**
 * Envelope against lag (log axis): the seed mean of log_mu_l1_mean shown as
 * exp(·) (the quantity the regimes are fitted on, §6), and the best regime's
 * fit on it (dashed).
 */
export function envelopeOption(archs: readonly ArchReport[], t: T): Option {
  const series: Series[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const name = t(ARCH_LABELS[a.arch]);
    const pts = a.envelope.filter((p) => positive(Math.exp(p.logF)));
    series.push({ name, type: 'line', data: pts.map((p) => [p.ell, Math.exp(p.logF)]), color, lineStyle: { color, width: 1.5 }, itemStyle: { color }, symbol: 'circle', symbolSize: 5 });
    const fit = a.envelopeFit;
    if (fit && pts.length > 1) {
      const lo = pts[0]!.ell;
      const hi = pts[pts.length - 1]!.ell;
      const xs = Array.from({ length: 60 }, (_, i) => lo + ((hi - lo) * i) / 59);
      const ys = xs.map((x) => [x, fittedEnvelope(fit, fit.best, x)] as const).filter(([, y]) => positive(y));
      series.push({ name, type: 'line', data: ys.map(([x, y]) => [x, y]), color, lineStyle: { color, type: 'dashed', width: 1.5 }, symbol: 'none' });
    }
  }
  return base(t, archs.map((a) => ARCH_LABELS[a.arch]), {
    xAxis: { type: 'value', ...axisName(t, 'lag ℓ'), min: 'dataMin', max: 'dataMax' },
    yAxis: logAxis(t, 'envelope f̂(ℓ)', 50),
    series,
  });
}

/** α̂(ℓ) of every seed: filled circles reliable, hollow circles unreliable (§5.1). */
export function alphaOption(archs: readonly ArchReport[], t: T): Option {
  const series: Series[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const name = t(ARCH_LABELS[a.arch]);
    const ok = a.alpha.filter((p) => finite(p.alpha) && finite(p.ell));
    series.push({ name, type: 'scatter', data: ok.filter((p) => p.reliable).map((p) => [p.ell, p.alpha]), itemStyle: { color }, color, symbol: 'circle', symbolSize: 6 });
    series.push({ name, type: 'scatter', data: ok.filter((p) => !p.reliable).map((p) => [p.ell, p.alpha]), itemStyle: { color, borderColor: color }, color, symbol: 'emptyCircle', symbolSize: 7 });
  }
  return base(t, archs.map((a) => ARCH_LABELS[a.arch]), {
    xAxis: { type: 'value', ...axisName(t, 'lag ℓ'), min: 'dataMin', max: 'dataMax' },
    yAxis: { type: 'value', min: 1, max: 2, ...axisName(t, 'tail index α̂', 40) },
    series,
  });
}

/**
 * The master law: log N_required against -κ log f̂ per architecture, with the
 * seed-mean fitted line (slope and intercept averaged over the seeds' fits).
 */
export function masterOption(archs: readonly ArchReport[], t: T): Option {
  const series: Series[] = [];
  const legend: string[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const slope = a.masterSlope;
    const label = slope.count > 0
      ? `${ARCH_LABELS[a.arch]} (slope ${slope.mean.toFixed(2)}${slope.count > 1 ? ` ± ${slope.std.toFixed(2)}` : ''})`
      : `${ARCH_LABELS[a.arch]} (no fit)`;
    legend.push(label);
    const name = t(label);
    const pts = a.master.filter((p) => finite(p.x) && finite(p.y));
    series.push({ name, type: 'scatter', data: pts.map((p) => [p.x, p.y]), itemStyle: { color }, color, symbolSize: 6 });
    if (slope.count > 0 && pts.length > 1 && finite(slope.mean) && finite(a.masterIntercept.mean)) {
      const xs = pts.map((p) => p.x);
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      const b = a.masterIntercept.mean;
      series.push({ name, type: 'line', data: [[lo, b + slope.mean * lo], [hi, b + slope.mean * hi]], lineStyle: { color, width: 1.5 }, symbol: 'none', color });
    }
  }
  return base(t, legend, {
    xAxis: { type: 'value', scale: true, ...axisName(t, '−κ_α log f̂(ℓ)') },
    yAxis: { type: 'value', scale: true, ...axisName(t, 'log N_required(ℓ)', 40) },
    series,
  });
}

/** Five-number summary for a box plot. */
function quartiles(xs: readonly number[]): [number, number, number, number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (i - lo);
  };
  return [s[0]!, q(0.25), q(0.5), q(0.75), s[s.length - 1]!];
}

/** Units drawn as points per architecture in the τ figure. */
export const TAU_POINTS = 200;

/**
 * Per-unit time scales τ per architecture (log axis): a box plot (min,
 * quartiles, max) and the units as points; ConstGate's closed form
 * τ = -1/log(1 - const_s) marked by a line.
 */
export function tauOption(archs: readonly ArchReport[], t: T): Option {
  const withTau = archs.map((a) => ({ ...a, tau: a.tau.filter(positive) })).filter((a) => a.tau.length > 0);
  const cats = withTau.map((a) => t(ARCH_LABELS[a.arch]));
  const closed = archs.find((a) => a.tauClosedForm !== null)?.tauClosedForm ?? null;
  const series: Series[] = [{
    name: 'units', type: 'boxplot',
    data: withTau.map((a) => ({ value: quartiles(a.tau), itemStyle: { color: '#ffffff', borderColor: ARCH_COLORS[a.arch] } })),
    ...(closed !== null && finite(closed)
      ? {
        markLine: {
          symbol: 'none', silent: true, animation: false,
          lineStyle: { color: ARCH_COLORS.const, type: 'dashed', width: 1.5 },
          label: { show: true, formatter: t(`ConstGate closed form τ = ${closed.toPrecision(4)}`), position: 'insideEndTop', fontSize: 11, color: ARCH_COLORS.const },
          data: [{ yAxis: closed }],
        },
      }
      : {}),
  }];
  withTau.forEach((a, i) => {
    const color = ARCH_COLORS[a.arch];
    // at most TAU_POINTS units, evenly spaced in sorted order (the box has them all), spread across the box width
    const sorted = [...a.tau].sort((x, y) => x - y);
    const n = Math.min(sorted.length, TAU_POINTS);
    const shown = Array.from({ length: n }, (_, k) => sorted[n === 1 ? 0 : Math.round((k * (sorted.length - 1)) / (n - 1))]!);
    series.push({
      name: t(ARCH_LABELS[a.arch]), type: 'scatter', data: shown.map((v, k) => [i + 0.3 * (((k * 0.618034) % 1) - 0.5), v]),
      xAxisIndex: 1, itemStyle: { color, opacity: 0.45 }, symbolSize: 3,
    });
  });
  return base(t, [], {
    legend: { show: false },
    xAxis: [
      { type: 'category', data: cats, ...axisName(t, 'architecture') },
      { type: 'value', min: -0.5, max: Math.max(0.5, withTau.length - 0.5), show: false },
    ],
    yAxis: logAxis(t, 'unit time scale τ (lags)', 50),
    series,
  });
}

/** Learning curves: seed-mean training loss (solid) and validation loss (dashed) per epoch, log axis. */
export function curveOption(archs: readonly ArchReport[], t: T): Option {
  const series: Series[] = [];
  for (const a of archs) {
    const color = ARCH_COLORS[a.arch];
    const name = t(ARCH_LABELS[a.arch]);
    const ok = positive;
    series.push({ name, type: 'line', data: a.curve.filter((c) => ok(c.train)).map((c) => [c.epoch, c.train]), color, lineStyle: { color, width: 1.5 }, symbol: 'none' });
    series.push({ name, type: 'line', data: a.curve.filter((c) => ok(c.val)).map((c) => [c.epoch, c.val]), color, lineStyle: { color, width: 1.5, type: 'dashed' }, symbol: 'none' });
  }
  return base(t, archs.map((a) => ARCH_LABELS[a.arch]), {
    xAxis: { type: 'value', ...axisName(t, 'epoch'), min: 'dataMin', max: 'dataMax', minInterval: 1 },
    yAxis: logAxis(t, 'loss (MSE)', 50),
    series,
  });
}

/** Text width in the units of the font size (e.g. from the PDF font's metrics), for the chart's layout. */
export type MeasureText = (text: string, sizePx: number, bold: boolean) => number;

/**
 * Render an option to an SVG string (server side, no DOM). `measure` gives
 * ECharts the widths of the font the PDF draws the text with (legend and
 * label layout), instead of its built-in estimate.
 */
export function renderSvg(option: Option, width = FIGURE_WIDTH, height = FIGURE_HEIGHT, measure?: MeasureText): string {
  if (measure) {
    echarts.setPlatformAPI({
      measureText: (text: string, font?: string) => {
        const m = /(\d+(?:\.\d+)?)px/.exec(font ?? '');
        return { width: measure(text, m ? Number(m[1]) : 12, /\bbold\b|\b[6-9]00\b/.test(font ?? '')) };
      },
    });
  }
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ ...option, animation: false });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
