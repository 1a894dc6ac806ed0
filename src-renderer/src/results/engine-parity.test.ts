/**
 * The renderer restates (cannot import) the engine's aggregation and fits and
 * the PDF report's theory rule; this test (Node, not layer-checked) checks
 * both give the same numbers on random and synthetic inputs.
 */
import { describe, expect, it } from 'vitest';
import { aggregateSeeds, meanStd as engineMeanStd } from '../../../src-workers/engine/aggregate';
import { fitEnvelope as engineFitEnvelope, MASTER_ALPHA_FLOOR as ENGINE_FLOOR, olsLine as engineOls, constTau as engineConstTau } from '../../../src-workers/engine/fits';
import { buildReportData } from '../../../src-main/core/exports/report/report-data';
import type { ExportBundle } from '../../../src-main/core/exports/load';
import { aggregateByKey, constTau, fitEnvelope, MASTER_ALPHA_FLOOR, meanStd, olsLine } from './stats';
import { shapeExperiment } from './shape';
import { BASE_SPEC, synthConfig, synthRuns } from './test-fixtures';

function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('renderer restatements agree with the engine and the report', () => {
  it('aggregation, OLS and envelope fits on random data', () => {
    const r = lcg(7);
    for (let trial = 0; trial < 20; trial++) {
      const n = 3 + Math.floor(r() * 40);
      const lags: number[] = [];
      for (let i = 0, l = 2; i < n; i++) lags.push((l += 1 + Math.floor(r() * 3)));
      const logF = lags.map((l) => (r() < 0.1 ? NaN : -0.3 - l * r() * 0.05 + r() * 0.2));
      expect(fitEnvelope(lags, logF)).toEqual(engineFitEnvelope(lags, logF));
      const x = lags.map(() => r() * 10);
      const y = x.map((v) => 1 + v * r());
      expect(olsLine(x, y)).toEqual(engineOls(x, y));
      expect(meanStd(y)).toEqual(engineMeanStd(y));
      const series = [0, 1, 2].map(() => ({ keys: lags, values: lags.map(() => (r() < 0.2 ? -1 : r() < 0.1 ? NaN : r() * 100)) }));
      const mine = aggregateByKey(series, -1);
      const theirs = aggregateSeeds(series, { notDetected: -1 });
      expect(mine).toEqual(theirs);
    }
    expect(MASTER_ALPHA_FLOOR).toBe(ENGINE_FLOOR);
    expect(constTau(0.05)).toBe(engineConstTau(0.05));
  });

  it('the theory curve, envelope refit and master points equal the PDF report\'s', () => {
    const cfg = synthConfig({ ...BASE_SPEC, unreliableLags: [8] });
    const runs = synthRuns({ ...BASE_SPEC, unreliableLags: [8] });
    const bundle = { experiment: {} as ExportBundle['experiment'], config: cfg, runs: runs.map((x) => ({ record: x.record, result: x.result })), runId: null } as unknown as ExportBundle;
    const report = buildReportData(bundle);
    const shaped = shapeExperiment(cfg, runs);
    expect(shaped.archs.map((a) => a.arch)).toEqual(report.archs.map((a) => a.arch));
    shaped.archs.forEach((a, i) => {
      const b = report.archs[i]!;
      expect(a.envelopeFit).toEqual(b.envelopeFit);
      expect(a.theory).toEqual(b.theory);
      expect(a.master).toEqual(b.master);
      expect(a.hn.map((h) => [h.key, h.mean, h.std, h.count])).toEqual(b.hn.map((h) => [h.N, h.mean, h.std, h.n]));
      expect(a.tauClosedForm).toEqual(b.tauClosedForm);
      expect(a.masterSlope).toEqual(b.masterSlope);
    });
  });
});
