import { describe, expect, it } from 'vitest';
import { compareEnvelopeChart, compareHnChart, configDiff, itemFromRun, itemsFromArchs } from './compare';
import { shapeExperiment } from './shape';
import { BASE_SPEC, synthConfig, synthRuns } from './test-fixtures';

describe('results/compare', () => {
  const cfgA = { ...synthConfig(BASE_SPEC), optimizer: 'adamw' as const };
  const cfgB = { ...synthConfig(BASE_SPEC), optimizer: 'sgd' as const, lr: 0.01 };
  const runs = synthRuns(BASE_SPEC);
  const shaped = shapeExperiment(cfgA, runs);

  it('configDiff lists exactly the differing fields, one column per experiment', () => {
    const d = configDiff([{ label: 'A', config: cfgA }, { label: 'B', config: cfgB }]);
    expect(d.rows.map((r) => r.field)).toEqual(['optimizer', 'lr']);
    expect(d.rows[0]).toMatchObject({ e0: 'adamw', e1: 'sgd', differs: true });
    expect(d.columns.map((c) => c.title ?? c.key)).toEqual(['field', 'unit', 'A', 'B']);
    const all = configDiff([{ label: 'A', config: cfgA }, { label: 'B', config: cfgB }], false);
    expect(all.rows.length).toBeGreaterThan(20);
    expect(all.rows.find((r) => r.field === 'T')).toMatchObject({ differs: false });
  });

  it('overlays H_N and envelopes of experiment × architecture items and single runs', () => {
    const items = [...itemsFromArchs(0, 'A', shaped.archs), ...itemsFromArchs(1, 'B', shaped.archs)];
    expect(items.map((i) => i.label)).toEqual(['A · const', 'A · gru', 'B · const', 'B · gru']);
    const hn = compareHnChart(items);
    const lines = (hn.option.series as { type: string; name: string; data: number[][] }[]).filter((x) => x.type === 'line');
    expect(lines.length).toBe(4);
    expect(lines[0]!.data.map((p) => p[1])).toEqual(shaped.archs[0]!.hn.map((h) => h.mean));
    const env = compareEnvelopeChart(items);
    const e0 = (env.option.series as { type: string; data: number[][] }[]).find((x) => x.type === 'line')!;
    // exp(seed-mean log f̂) = exp(a + bℓ) (offsets ±0.1 cancel)
    e0.data.forEach(([ell, v]) => expect(v).toBeCloseTo(Math.exp(BASE_SPEC.a + BASE_SPEC.b * ell!), 9));
    const run = itemFromRun(2, 'run 1', 'const', runs[0]!.result)!;
    expect(run.hn.every((h) => h.count === 1 && h.std === 0)).toBe(true);
  });
});
