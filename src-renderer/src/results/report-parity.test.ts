/**
 * The renderer shapes results for its charts itself (it cannot import
 * src-main); the arithmetic is shared (src-shared/fit-math.ts,
 * src-shared/seed-aggregate.ts), but the assembly — which rows feed which fit,
 * the theory curve, the master points — is restated. This test (Node, not
 * layer-checked) checks that the results views and the PDF report give the
 * same numbers on synthetic experiments.
 */
import { describe, expect, it } from 'vitest';
import { buildReportData } from '../../../src-main/core/exports/report/report-data';
import type { ExportBundle } from '../../../src-main/core/exports/load';
import { shapeExperiment } from './shape';
import { BASE_SPEC, synthConfig, synthRuns } from './test-fixtures';

describe('the results views and the PDF report shape an experiment alike', () => {
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
