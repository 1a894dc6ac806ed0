import { describe, expect, it } from 'vitest';
import type { SeriesOption } from 'echarts';
import { alphaChart, curvesChart, envelopeChart, gateMetrics, gatesChart, hnChart, masterChart, masterFitRows, nreqChart, sigmaChart, tauChart, theoryTable } from './options';
import { shapeExperiment } from './shape';
import { BASE_SPEC, synthConfig, synthRuns, type SynthSpec } from './test-fixtures';

const s: SynthSpec = { ...BASE_SPEC, unreliableLags: [4, 8] };
const res = shapeExperiment(synthConfig(s), synthRuns(s));
const archs = res.archs;

type S = SeriesOption & { name?: string; type?: string; data?: unknown[] };
const series = (o: { series?: unknown }) => (o.series as S[]);
const named = (o: { series?: unknown }, name: string) => series(o).filter((x) => x.name === name);

describe('results/options', () => {
  it('every chart has animation off, data in its series and a table', () => {
    const specs = [
      hnChart(archs, 'aggregate'), hnChart(archs, 'seeds'), envelopeChart(archs, 'aggregate', { quantity: 'logmean', fitsFor: ['gru'] }),
      envelopeChart(archs, 'seeds', { quantity: 'mean', fitsFor: [] }), alphaChart(archs, 'aggregate'), sigmaChart(archs, 'seeds'),
      nreqChart(archs, 'aggregate'), masterChart(archs), tauChart(archs), curvesChart(archs, 'aggregate', 'loss'), curvesChart(archs, 'seeds', 'r2'),
      gatesChart(archs, 'aggregate', 'leak_mean'),
    ];
    for (const sp of specs) {
      expect(sp.option.animation).toBe(false);
      expect(series(sp.option).some((x) => Array.isArray(x.data) && x.data.length > 0)).toBe(true);
      expect(sp.rows.length).toBeGreaterThan(0);
      for (const c of sp.columns) expect(sp.rows.some((r) => c.key in r)).toBe(true);
    }
  });

  it('H_N: log N axis, mean line + band per architecture, and the theory curve overlaid', () => {
    const sp = hnChart(archs, 'aggregate');
    expect((sp.option.xAxis as { type: string }).type).toBe('log');
    const gru = named(sp.option, 'gru');
    expect(gru.map((x) => x.type).sort()).toEqual(['custom', 'line']);
    const theory = series(sp.option).filter((x) => String(x.name).includes('theory'));
    expect(theory.length).toBe(2);
    expect(theory[0]!.data!.length).toBe(archs[0]!.theory.ok ? archs[0]!.theory.points.length : 0);
    // table: one row per (arch, N) with the theory value on the grid
    expect(sp.rows.length).toBe(2 * s.Ns.length);
    const t = theoryTable(archs);
    expect(t[0]!.scale).toBeCloseTo(-1 / s.b, 9);
    // per-seed mode: one line per (arch, seed), no bands
    const seeds = hnChart(archs, 'seeds', false);
    expect(series(seeds.option).filter((x) => x.type === 'line').length).toBe(4);
    expect(series(seeds.option).some((x) => x.type === 'custom')).toBe(false);
  });

  it('envelope: three fits with their R² for the chosen architecture, per-unit lines on demand', () => {
    const sp = envelopeChart(archs, 'aggregate', { quantity: 'logmean', fitsFor: ['gru'] });
    const fits = series(sp.option).filter((x) => String(x.name).startsWith('gru') && String(x.name).includes('fit'));
    expect(fits.map((x) => x.name)).toEqual([
      'gru exponential fit R²=1.000 ★', 'gru power fit R²=' + archs[1]!.envelopeFit!.power.r2.toFixed(3), 'gru logarithmic fit R²=' + archs[1]!.envelopeFit!.log.r2.toFixed(3),
    ]);
    // the exponential fit goes through the seed-mean geometric envelope
    const line = named(sp.option, 'gru').find((x) => x.type === 'line')!;
    const expFit = fits[0]!;
    expect((expFit.data![0] as number[])[1]).toBeCloseTo((line.data![0] as number[])[1]!, 9);
    expect((sp.option.yAxis as { type: string }).type).toBe('log');
    const best = envelopeChart(archs, 'aggregate', { quantity: 'logmean', fitsFor: ['const', 'gru'], bestOnly: true });
    expect(series(best.option).filter((x) => String(x.name).includes(' fit ')).map((x) => x.name)).toEqual(['const exponential fit R²=1.000 ★', 'gru exponential fit R²=1.000 ★']);
    const d = archs[1]!.diags[0]!;
    const withUnits = envelopeChart(archs, 'aggregate', { quantity: 'logmean', fitsFor: [], units: { arch: 'gru', seed: 1, lags: d.d.lags, mu: d.d.muUnits } });
    expect(named(withUnits.option, 'gru s1 units').length).toBe(s.H);
  });

  it('α̂: unreliable estimates are a separate hollow-marker series holding exactly those points', () => {
    const sp = alphaChart(archs, 'aggregate');
    const un = named(sp.option, 'const unreliable')[0]!;
    expect(un.type).toBe('scatter');
    expect((un as { symbol?: string }).symbol).toBe('emptyTriangle');
    expect(un.data!.map((p) => (p as number[])[0]).sort((x, y) => x! - y!)).toEqual([4, 4, 8, 8]);
    const line = named(sp.option, 'const').find((x) => x.type === 'line')!;
    expect(line.data!.every((p) => (p as number[])[1] === s.alpha)).toBe(true);
    expect(line.data!.some((p) => (p as number[])[0] === 4)).toBe(false);
  });

  it('N_required on a log axis skips undetected lags; master law slope 1 is shown next to the theory', () => {
    const sp = nreqChart(archs, 'aggregate');
    expect((sp.option.yAxis as { type: string }).type).toBe('log');
    const m = masterChart(archs);
    const fitLine = series(m.option).find((x) => String(x.name).startsWith('const fit slope'))!;
    expect(fitLine.name).toBe('const fit slope 1.000 (theory 1)');
    expect(series(m.option).some((x) => x.name === 'theory slope 1')).toBe(true);
    const rows = masterFitRows(archs);
    expect(rows.filter((r) => r.seed === 'pooled').every((r) => Math.abs((r.slope as number) - 1) < 1e-9)).toBe(true);
  });

  // type-7 quartiles of 10,10,20,20,30,30,40,40: 10 + 0.75·10 and 30 + 0.25·10
  it('τ: box per architecture, ConstGate closed form marked at −1/log(1−s)', () => {
    const sp = tauChart(archs);
    const box = series(sp.option).find((x) => x.type === 'boxplot')!;
    expect((box.data![0] as { value: number[] }).value).toEqual([10, 17.5, 25, 32.5, 40]);
    const cf = series(sp.option).find((x) => String(x.name).startsWith('ConstGate'))! as S & { markLine: { data: { yAxis: number }[] } };
    expect(cf.markLine.data[0]!.yAxis).toBeCloseTo(-1 / Math.log(0.95), 12);
    expect(cf.data).toEqual([[0, -1 / Math.log1p(-0.05)]]);
  });

  it('curves and gates: train and validation per architecture; gate metric list', () => {
    const sp = curvesChart(archs, 'aggregate', 'loss');
    expect(series(sp.option).filter((x) => x.type === 'line').map((x) => x.name)).toEqual(['const train', 'const val', 'gru train', 'gru val']);
    expect(gateMetrics(archs)).toEqual(['leak_mean']);
    expect(gatesChart(archs, 'seeds', 'leak_mean').rows.length).toBe(4 * s.epochs);
  });
});
