import { describe, expect, it } from 'vitest';
import {
  CONFIG_FIELDS,
  CONFIG_FIELD_MAP,
  DEFAULT_CONFIG,
  coerceFieldValue,
  expandRuns,
  formatFieldValue,
  lagGrid,
  parseConfig,
  resolveConfig,
  splitList,
  type ConfigField,
  type ExperimentConfig,
} from './config';

function errorsOf(input: unknown) {
  const r = parseConfig(input);
  if (r.ok) throw new Error('expected the configuration to be rejected');
  return r.errors;
}

function expectOneError(overrides: Record<string, unknown>, field: string, ...fragments: string[]) {
  const errs = errorsOf(overrides);
  const mine = errs.filter((e) => e.field === field);
  expect(mine.length, JSON.stringify(errs)).toBe(1);
  expect(mine[0]!.message.startsWith(field)).toBe(true);
  for (const f of fragments) expect(mine[0]!.message).toContain(f);
}

describe('defaults (SCIENCE.md §7 reference defaults)', () => {
  it('an empty object is the default configuration', () => {
    const r = parseConfig({});
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config).toEqual(DEFAULT_CONFIG);
  });

  it('has the reference defaults', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      T: 1024, D: 16, H: 64, epochs: 400, batch_size: 16, lr: 1e-3, weight_decay: 1e-4, grad_clip: 1.0,
      const_s: 0.005, lag_min: 4, lag_max: 128, num_lags: 32,
      task_lags: [32, 64, 128, 256, 512], task_coeffs: [0.6, 0.45, 0.35, 0.28, 0.22], noise_std: 0.35,
      N_grid: [25, 50, 100, 150, 200, 400, 800, 1600, 3200, 6400, 12800], eps: 0.1,
      alpha_method: 'mcculloch', min_samples_alpha: 500, w_seed: 12345, include_first_order_diag: 1,
      orient_matched_statistic_sign: 1, gate_log_every: 10, orth_init: false, layernorm: false,
      // our own choices where the reference has none
      optimizer: 'adamw', momentum: 0.9, seeds: [212], models: ['const', 'shared', 'diag', 'gru', 'lstm'], backend: 'auto',
    });
  });

  it('metadata covers exactly the fields of the configuration', () => {
    expect(CONFIG_FIELDS.map((f) => f.name).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
    for (const f of CONFIG_FIELDS) {
      expect(f.help.length).toBeGreaterThan(5);
      expect(f.rule.startsWith('must')).toBe(true);
      if (f.kind === 'enum' || f.kind === 'enum-list') expect(f.choices!.length).toBeGreaterThan(1);
    }
  });

  it('returns copies: mutating a parsed config does not touch the defaults', () => {
    const r = parseConfig({});
    if (!r.ok) throw new Error('unexpected');
    r.config.seeds.push(7);
    expect(DEFAULT_CONFIG.seeds).toEqual([212]);
  });
});

describe('per-field rules', () => {
  const cases: [ConfigField, unknown, string[]][] = [
    ['Nseq_train', 0, ['integer >= 1', 'got 0']],
    ['Nseq_train', 2.5, ['integer', 'got 2.5']],
    ['Nseq_diag', -3, ['integer >= 1']],
    ['T', 1, ['integer >= 2', 'got 1']],
    ['T', 'abc', ['got "abc"']],
    ['D', 0, ['integer >= 1']],
    ['H', 1.5, ['integer >= 1']],
    ['optimizer', 'adam', ['one of adamw, sgd, sgd_momentum', 'got "adam"']],
    ['momentum', 1, ['>= 0 and < 1', 'got 1']],
    ['momentum', -0.1, ['>= 0 and < 1']],
    ['epochs', 0, ['integer >= 1']],
    ['batch_size', 0, ['integer >= 1']],
    ['lr', 0, ['> 0', 'got 0']],
    ['lr', Number.NaN, ['> 0']],
    ['lr', Number.POSITIVE_INFINITY, ['> 0']],
    ['weight_decay', -1e-4, ['>= 0']],
    ['grad_clip', -1, ['>= 0']],
    ['lag_min', 0, ['integer >= 1']],
    ['lag_max', 0, ['integer >= 1']],
    ['num_lags', 0, ['integer >= 1']],
    ['task_lags', [], ['non-empty', 'got an empty list']],
    ['task_lags', [8, 8], ['distinct', 'got 8,8']],
    ['task_lags', [0], ['integers >= 1']],
    ['task_lags', 8, ['list']],
    ['task_coeffs', ['a'], ['list of numbers']],
    ['noise_std', -0.1, ['>= 0']],
    ['N_grid', [100, 50], ['strictly increasing', 'got 100,50']],
    ['N_grid', [50, 50], ['strictly increasing']],
    ['N_grid', [0, 50], ['integers >= 1']],
    ['N_grid', [25.5], ['integers']],
    ['N_grid', [], ['non-empty']],
    ['eps', 0, ['> 0']],
    ['orth_init', 'yes', ['true or false']],
    ['layernorm', 1, ['true or false']],
    ['include_first_order_diag', 2, ['0 or 1', 'got 2']],
    ['orient_matched_statistic_sign', true, ['0 or 1']],
    ['alpha_method', 'hill', ['one of ecf, mcculloch']],
    ['min_samples_alpha', 0, ['integer >= 1']],
    ['const_s', 1.5, ['must be > 0 and < 1 (got 1.5)']],
    ['const_s', 0, ['> 0 and < 1']],
    ['const_s', 1, ['> 0 and < 1']],
    ['gate_log_every', 0, ['integer >= 1']],
    ['seeds', [], ['non-empty']],
    ['seeds', [1, 1], ['distinct', 'got 1,1']],
    ['seeds', [-1], ['integers >= 0']],
    ['seeds', [2 ** 60], ['integers >= 0']],
    ['w_seed', -1, ['integer >= 0']],
    ['models', ['gru', 'rnn'], ['const, shared, diag, gru, lstm', 'got gru,rnn']],
    ['models', ['gru', 'gru'], ['distinct']],
    ['models', [], ['non-empty']],
    ['backend', 'cuda', ['one of auto, cpu, webgpu']],
  ];
  for (const [field, value, fragments] of cases) {
    it(`${field} = ${JSON.stringify(value) ?? String(value)} is rejected with a message naming the field`, () => {
      expectOneError({ [field]: value }, field, ...fragments);
    });
  }

  it('the documented example message is exact', () => {
    expect(errorsOf({ const_s: 1.5 })).toEqual([{ field: 'const_s', message: 'const_s must be > 0 and < 1 (got 1.5)' }]);
  });

  it('accepts the edges of every range', () => {
    const ok: Partial<ExperimentConfig>[] = [
      { T: 2, lag_min: 1, lag_max: 1, task_lags: [1], task_coeffs: [1] },
      { momentum: 0 }, { momentum: 0.999 }, { weight_decay: 0 }, { grad_clip: 0 }, { noise_std: 0 },
      { const_s: 1e-9 }, { const_s: 0.999999 }, { seeds: [0] }, { w_seed: 0 }, { N_grid: [1] },
      { models: ['lstm'] }, { optimizer: 'sgd' }, { optimizer: 'sgd_momentum' }, { backend: 'webgpu' },
      { include_first_order_diag: 0 }, { orient_matched_statistic_sign: 0 }, { task_coeffs: [-1, 0, 2.5, 1e-3, 7] },
    ];
    for (const o of ok) expect(parseConfig(o).ok, JSON.stringify(o)).toBe(true);
  });

  it('unknown fields are errors, with a suggestion for a near miss', () => {
    const errs = errorsOf({ lagmax: 10, banana: 1 });
    expect(errs).toContainEqual({ field: 'lagmax', message: 'unknown field "lagmax" (did you mean lag_max?)' });
    expect(errs).toContainEqual({ field: 'banana', message: 'unknown field "banana"' });
  });

  it('a non-object is rejected', () => {
    for (const v of [null, 3, 'x', [1, 2]]) expect(errorsOf(v)[0]!.message).toContain('must be an object');
  });

  it('reports every problem at once', () => {
    const errs = errorsOf({ H: 0, D: 0, const_s: 2, models: ['x'] });
    expect(errs.map((e) => e.field).sort()).toEqual(['D', 'H', 'const_s', 'models']);
  });
});

describe('cross-field rules', () => {
  it('task_coeffs must match task_lags in length', () => {
    expectOneError({ task_lags: [1, 2, 3], task_coeffs: [0.5, 0.5] }, 'task_coeffs', '3 task_lags', 'got 2');
  });
  it('lag_min <= lag_max', () => {
    expectOneError({ lag_min: 10, lag_max: 9 }, 'lag_max', '>= lag_min', 'got 9');
  });
  it('lag_max < T', () => {
    expectOneError({ T: 64, lag_max: 64, task_lags: [8], task_coeffs: [1] }, 'lag_max', '< T', 'T is 64', 'got 64');
    expect(parseConfig({ T: 64, lag_max: 63, task_lags: [8], task_coeffs: [1] }).ok).toBe(true);
  });
  it('task lags < T', () => {
    expectOneError({ T: 200, lag_max: 100 }, 'task_lags', '< T', 'got 256,512');
  });
  it('is skipped when a field involved is itself invalid (one message per problem)', () => {
    const errs = errorsOf({ T: 'x' });
    expect(errs).toHaveLength(1);
    expect(errs[0]!.field).toBe('T');
  });
});

describe('lagGrid (§4.3)', () => {
  /** Exact floor of a + (b-a)·i/(n-1) in integer arithmetic: the truncated linspace. */
  function exactGrid(a: number, b: number, n: number, T: number): number[] {
    const vals: number[] = [];
    for (let i = 0; i < n; i++) vals.push(n === 1 ? a : Math.floor((a * (n - 1) + (b - a) * i) / (n - 1)));
    return [...new Set(vals)].filter((l) => l < T).sort((x, y) => x - y);
  }

  it('reference defaults: step exactly 4', () => {
    const g = lagGrid({ lag_min: 4, lag_max: 128, num_lags: 32, T: 1024 });
    expect(g).toEqual(Array.from({ length: 32 }, (_, i) => 4 + 4 * i));
  });
  it('paper and quick grids equal the exact truncated linspace', () => {
    const paper = lagGrid({ lag_min: 4, lag_max: 256, num_lags: 128, T: 1024 });
    expect(paper).toEqual(exactGrid(4, 256, 128, 1024));
    expect(paper).toHaveLength(128);
    expect(paper[0]).toBe(4);
    expect(paper[127]).toBe(256);
    const quick = lagGrid({ lag_min: 2, lag_max: 96, num_lags: 24, T: 256 });
    expect(quick).toEqual(exactGrid(2, 96, 24, 256));
    // 2 + 94·12/23 = 51.04...: the 13th value truncates to 51
    expect(quick[12]).toBe(51);
  });
  it('drops duplicates when num_lags exceeds the number of integers', () => {
    expect(lagGrid({ lag_min: 1, lag_max: 5, num_lags: 20, T: 100 })).toEqual([1, 2, 3, 4, 5]);
    expect(lagGrid({ lag_min: 3, lag_max: 3, num_lags: 5, T: 10 })).toEqual([3]);
  });
  it('drops lags >= T', () => {
    expect(lagGrid({ lag_min: 2, lag_max: 20, num_lags: 10, T: 10 })).toEqual(exactGrid(2, 20, 10, 10));
    expect(lagGrid({ lag_min: 2, lag_max: 20, num_lags: 10, T: 10 }).every((l) => l < 10)).toBe(true);
  });
  it('one lag is lag_min', () => {
    expect(lagGrid({ lag_min: 7, lag_max: 50, num_lags: 1, T: 100 })).toEqual([7]);
  });
  it('random grids agree with the exact formula (up to float ties, where numpy may land one below)', () => {
    let s = 12345;
    const rnd = (k: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % k);
    for (let k = 0; k < 300; k++) {
      const a = 1 + rnd(20);
      const b = a + rnd(300);
      const n = 2 + rnd(150);
      const T = b + 1 + rnd(5);
      const got = lagGrid({ lag_min: a, lag_max: b, num_lags: n, T });
      // every value is the truncated exact value, or one less when the exact value is an integer
      const allowed = new Set<number>();
      for (let i = 0; i < n; i++) {
        const num = a * (n - 1) + (b - a) * i;
        const fl = Math.floor(num / (n - 1));
        allowed.add(fl);
        if (num % (n - 1) === 0 && i !== 0 && i !== n - 1) allowed.add(fl - 1);
      }
      for (const l of got) expect(allowed.has(l), `${a} ${b} ${n}: ${l}`).toBe(true);
      expect(got[0]).toBe(a);
      expect(got[got.length - 1]).toBe(b);
      for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!);
      if (b - a + 1 <= n) expect(got).toEqual(exactGrid(a, b, n, T)); // every integer is hit
    }
  });
  it('matches numpy at a float tie: linspace(13, 161, 37)[27] = 123.99999999999999 truncates to 123', () => {
    const g = lagGrid({ lag_min: 13, lag_max: 161, num_lags: 37, T: 1024 });
    expect(g.slice(25, 30)).toEqual([115, 119, 123, 128, 132]);
  });
});

describe('resolveConfig', () => {
  it('defaults < preset < overrides, in order', () => {
    const r = resolveConfig('quick', { H: 16, epochs: 5 }, { epochs: 7, lr: undefined });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.H).toBe(16);
    expect(r.config.epochs).toBe(7);
    expect(r.config.lr).toBe(0.002); // preset value kept, undefined override ignored
    expect(r.config.T).toBe(256);
  });
  it('null preset means the defaults', () => {
    const r = resolveConfig(null, { H: 8 });
    expect(r.ok && r.config.H === 8 && r.config.T === 1024).toBe(true);
  });
  it('an object preset is a base layer', () => {
    const r = resolveConfig({ T: 100, lag_max: 50, task_lags: [10], task_coeffs: [1] }, { T: 60 });
    expect(r.ok && r.config.T === 60 && r.config.lag_max === 50).toBe(true);
  });
  it('an unknown preset name is an error naming "preset"', () => {
    const r = resolveConfig('huge');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toEqual({ field: 'preset', message: 'preset must be one of smoke, quick, paper (got "huge")' });
  });
  it('validates the merged result', () => {
    const r = resolveConfig('smoke', { lag_max: 100 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.field)).toEqual(['lag_max']);
  });
});

describe('text values', () => {
  it('splits lists in the usual spellings', () => {
    expect(splitList('1,2,3')).toEqual(['1', '2', '3']);
    expect(splitList('[1, 2, 3]')).toEqual(['1', '2', '3']);
    expect(splitList('1 2  3')).toEqual(['1', '2', '3']);
    expect(splitList("['const', 'gru']")).toEqual(['const', 'gru']);
    expect(splitList('')).toEqual([]);
  });
  it('coerces by field kind', () => {
    expect(coerceFieldValue('T', '256')).toBe(256);
    expect(coerceFieldValue('lr', '1e-3')).toBe(0.001);
    expect(coerceFieldValue('lr', '.5')).toBe(0.5);
    expect(coerceFieldValue('T', 'abc')).toBe('abc');
    expect(coerceFieldValue('T', '')).toBe('');
    expect(coerceFieldValue('orth_init', 'True')).toBe(true);
    expect(coerceFieldValue('orth_init', '0')).toBe(false);
    expect(coerceFieldValue('layernorm', 'maybe')).toBe('maybe');
    expect(coerceFieldValue('include_first_order_diag', '1')).toBe(1);
    expect(coerceFieldValue('include_first_order_diag', 'False')).toBe(0);
    expect(coerceFieldValue('alpha_method', "'ecf'")).toBe('ecf');
    expect(coerceFieldValue('task_lags', '[8, 16]')).toEqual([8, 16]);
    expect(coerceFieldValue('task_coeffs', '0.6,-0.5')).toEqual([0.6, -0.5]);
    expect(coerceFieldValue('task_lags', '8,x')).toBe('8,x');
    expect(coerceFieldValue('models', 'gru,lstm')).toEqual(['gru', 'lstm']);
  });
  it('text form round-trips through coercion and validation for every field', () => {
    for (const f of CONFIG_FIELDS) {
      const v = DEFAULT_CONFIG[f.name];
      expect(coerceFieldValue(f.name, formatFieldValue(v)), f.name).toEqual(v);
    }
  });
  it('a bad text value is reported with the field rule', () => {
    const errs = errorsOf({ T: coerceFieldValue('T', 'abc') });
    expect(errs[0]!.message).toBe(`T ${CONFIG_FIELD_MAP.T.rule} (got "abc")`);
  });
});

describe('expandRuns', () => {
  it('one run per (model, seed)', () => {
    expect(expandRuns({ models: ['gru', 'lstm'], seeds: [1, 2] })).toEqual([
      { arch: 'gru', seed: 1 }, { arch: 'lstm', seed: 1 }, { arch: 'gru', seed: 2 }, { arch: 'lstm', seed: 2 },
    ]);
  });
});
