/**
 * Compare view data: overlay H_N(N) and envelopes of several experiments
 * (per architecture, seed mean) or runs, and the configuration parameters
 * that differ. Pure functions.
 */
import type { EChartsOption, SeriesOption } from 'echarts';
import { CONFIG_FIELDS, type ExperimentConfig } from '../../../src-shared/config';
import type { RunResult } from '../../../src-shared/results';
import { bandSeries, PALETTE, type ChartSpec, type TableColumn } from './options';
import type { ArchResults } from './shape';
import type { KeyedStat } from './stats';

/** One curve of the comparison: an (experiment, architecture) seed aggregate or one run. */
export interface CompareItem {
  label: string;
  /** index of its experiment (colour) */
  group: number;
  /** H_N per N (one run: count 1, std 0) */
  hn: KeyedStat[];
  /** per lag: mean log_mu_l1_mean (the fitted envelope quantity) */
  logF: KeyedStat[];
  /** line dash: one per architecture */
  dash: number;
}

const DASHES = ['solid', 'dashed', 'dotted', [8, 3, 2, 3], [2, 2]] as const;
const ARCH_ORDER = ['const', 'shared', 'diag', 'gru', 'lstm'];

export function itemsFromArchs(group: number, expName: string, archs: readonly ArchResults[]): CompareItem[] {
  return archs.filter((a) => a.diags.length > 0).map((a) => ({
    label: `${expName} · ${a.arch}`,
    group,
    hn: a.hn,
    logF: a.envelope.map((p) => ({ key: p.ell, ...p.logF })),
    dash: ARCH_ORDER.indexOf(a.arch),
  }));
}

export function itemFromRun(group: number, label: string, arch: string, result: RunResult): CompareItem | null {
  const d = result.diagnostics;
  if (!d) return null;
  return {
    label, group, dash: ARCH_ORDER.indexOf(arch),
    hn: d.H_N.map((r) => ({ key: r.N, mean: r.H_N, std: 0, count: Number.isFinite(r.H_N) ? 1 : 0 })),
    logF: d.summary.map((r) => ({ key: r.ell, mean: r.log_mu_l1_mean, std: 0, count: Number.isFinite(r.log_mu_l1_mean) ? 1 : 0 })),
  };
}

function base(x: string, y: string, xLog: boolean, yLog: boolean): EChartsOption {
  return {
    animation: false,
    backgroundColor: 'transparent',
    grid: { left: 64, right: 24, top: 56, bottom: 48 },
    tooltip: { trigger: 'item', confine: true },
    legend: { type: 'scroll', top: 0 },
    xAxis: { type: xLog ? 'log' : 'value', name: x, nameLocation: 'middle', nameGap: 28, scale: true, ...(xLog ? { min: 'dataMin', max: 'dataMax' } : {}) },
    yAxis: { type: yLog ? 'log' : 'value', name: y, nameLocation: 'middle', nameGap: 48, scale: true },
  };
}

function overlay(items: readonly CompareItem[], pick: 'hn' | 'logF', bands: boolean): SeriesOption[] {
  const out: SeriesOption[] = [];
  for (const it of items) {
    const color = PALETTE[it.group % PALETTE.length]!;
    const logY = pick === 'logF';
    const stats = it[pick].filter((s) => s.count > 0 && Number.isFinite(s.mean) && (pick === 'hn' ? s.key > 0 : true));
    const y = (s: KeyedStat) => (logY ? Math.exp(s.mean) : s.mean);
    out.push({
      type: 'line', name: it.label, color, data: stats.map((s) => [s.key, y(s)]), showSymbol: stats.length <= 40, symbolSize: 4,
      sampling: 'lttb', lineStyle: { width: 1.6, type: DASHES[Math.max(0, it.dash) % DASHES.length] }, emphasis: { focus: 'series' },
    } as SeriesOption);
    // band after the line (the legend takes its icon from the first series of a name)
    if (bands && stats.some((s) => s.count > 1)) {
      const lo = stats.map((s) => (logY ? Math.exp(s.mean - s.std) : s.mean - s.std));
      const hi = stats.map((s) => (logY ? Math.exp(s.mean + s.std) : s.mean + s.std));
      out.push(bandSeries(it.label, color, stats.map((s) => s.key), lo, hi, logY));
    }
  }
  return out;
}

export function compareHnChart(items: readonly CompareItem[], bands = true): ChartSpec {
  const rows = items.flatMap((it) => it.hn.map((s) => ({ item: it.label, N: s.key, H_N_mean: s.mean, H_N_std: s.std, seeds: s.count })));
  return {
    option: { ...base('N (samples)', 'H_N (lag)', true, false), series: overlay(items, 'hn', bands) },
    rows,
    columns: [{ key: 'item', width: 260 }, { key: 'N' }, { key: 'H_N_mean' }, { key: 'H_N_std' }, { key: 'seeds' }],
  };
}

export function compareEnvelopeChart(items: readonly CompareItem[], bands = true): ChartSpec {
  const rows = items.flatMap((it) => it.logF.map((s) => ({ item: it.label, ell: s.key, log_f_mean: s.mean, log_f_std: s.std, seeds: s.count })));
  return {
    option: { ...base('lag ℓ', 'exp(mean log m_b(ℓ))', false, true), series: overlay(items, 'logF', bands) },
    rows,
    columns: [{ key: 'item', width: 260 }, { key: 'ell', title: 'ℓ' }, { key: 'log_f_mean' }, { key: 'log_f_std' }, { key: 'seeds' }],
  };
}

function show(v: unknown): string {
  if (Array.isArray(v)) return v.join(',');
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return String(v);
  return v === undefined || v === null ? '' : JSON.stringify(v);
}

/**
 * The configuration table: one row per field (schema order, unknown fields
 * after), one column per experiment (`e<index>`), and whether the values
 * differ. `onlyDiff` keeps the differing rows.
 */
export function configDiff(configs: readonly { label: string; config: ExperimentConfig }[], onlyDiff = true): { rows: Record<string, unknown>[]; columns: TableColumn[] } {
  const known = CONFIG_FIELDS.map((f) => f.name as string);
  const extra = new Set<string>();
  for (const c of configs) for (const k of Object.keys(c.config)) if (!known.includes(k)) extra.add(k);
  const fields = [...known, ...[...extra].sort()];
  const unit = new Map(CONFIG_FIELDS.map((f) => [f.name as string, f.unit]));
  const rows: Record<string, unknown>[] = [];
  for (const f of fields) {
    const vals = configs.map((c) => show((c.config as unknown as Record<string, unknown>)[f]));
    const differs = new Set(vals).size > 1;
    if (onlyDiff && !differs) continue;
    const row: Record<string, unknown> = { field: f, unit: unit.get(f) ?? '', differs };
    vals.forEach((v, i) => (row[`e${i}`] = v));
    rows.push(row);
  }
  const columns: TableColumn[] = [
    { key: 'field', width: 170 }, { key: 'unit', width: 80 },
    ...configs.map((c, i) => ({ key: `e${i}`, title: c.label, width: 170 })),
  ];
  if (!onlyDiff) columns.push({ key: 'differs', width: 80 });
  return { rows, columns };
}
