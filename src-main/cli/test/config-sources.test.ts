import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src-shared/config';
import { PRESETS, PRESET_NAMES } from '../../../src-shared/presets';
import { cliArgsText } from '../../core/results-writer';
import { parseCliArgsCsv, parseJsonConfig, readConfigFile } from '../config-sources';

describe('cli_args.csv', () => {
  it('reads the reference layout: header, quoted lists, Python spellings', () => {
    const text = [
      'argument,value',
      'T,256',
      'H,32',
      'task_lags,"[8, 16, 32]"',
      'task_coeffs,"0.6,0.5,0.4"',
      'N_grid,25 50 100',
      'orth_init,True',
      'layernorm,False',
      'include_first_order_diag,1',
      'alpha_method,ecf',
      "models,\"['gru', 'lstm']\"",
      'lr,1e-3',
    ].join('\n');
    const l = parseCliArgsCsv(text);
    expect(l.errors).toEqual([]);
    expect(l.warnings).toEqual([]);
    expect(l.values).toEqual({
      T: 256, H: 32, task_lags: [8, 16, 32], task_coeffs: [0.6, 0.5, 0.4], N_grid: [25, 50, 100], orth_init: true,
      layernorm: false, include_first_order_diag: 1, alpha_method: 'ecf', models: ['gru', 'lstm'], lr: 0.001,
    });
  });
  it('works without a header, with CRLF line ends and a BOM', () => {
    const l = parseCliArgsCsv('\ufeffT,100\r\nlag_max,50\r\n');
    expect(l.values).toEqual({ T: 100, lag_max: 50 });
  });
  it('ignores unknown arguments with a warning, and unset cells', () => {
    const l = parseCliArgsCsv('argument,value\nout_dir,/tmp/x\ndevice,cuda\nH,16\nw_seed,None\nlr,\n');
    expect(l.values).toEqual({ H: 16 });
    expect(l.warnings).toEqual(['cli_args.csv: ignoring unknown argument "out_dir"', 'cli_args.csv: ignoring unknown argument "device"']);
  });
  it('maps the reference spellings seed → seeds, model → models, --lag-max → lag_max', () => {
    expect(parseCliArgsCsv('seed,5\nmodel,gru\n--lag-max,40\n').values).toEqual({ seeds: [5], models: ['gru'], lag_max: 40 });
  });
  it('rejects duplicate arguments and rows without two columns, naming the line', () => {
    const l = parseCliArgsCsv('argument,value\nH,16\nH,32\nT\n');
    expect(l.errors.map((e) => e.message)).toEqual([
      'cli_args.csv line 3: H is given more than once',
      'cli_args.csv line 4: expected 2 columns (argument,value), got 1',
    ]);
  });
  it('values that do not convert are reported by the validator with the field rule', () => {
    const l = parseCliArgsCsv('T,long\n');
    const r = resolveConfig('smoke', l.values);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.message)).toEqual(['T must be an integer >= 2 (got "long")']);
  });
  it('round-trips our own cli_args.csv for every preset', () => {
    for (const name of PRESET_NAMES) {
      const p = PRESETS[name];
      const l = parseCliArgsCsv(cliArgsText(p, p.seeds[0]));
      expect(l.errors).toEqual([]);
      const r = resolveConfig(null, l.values);
      expect(r.ok && r.config).toEqual({ ...p, seeds: [p.seeds[0]] });
    }
  });
});

describe('JSON config', () => {
  it('reads an object of fields', () => {
    expect(parseJsonConfig('{"H": 16, "models": ["gru"], "orth_init": false}').values).toEqual({ H: 16, models: ['gru'], orth_init: false });
  });
  it('reports bad JSON, non-objects and unknown fields', () => {
    expect(parseJsonConfig('{H: 1}', 'c.json').errors[0]!.message).toMatch(/^c\.json: not valid JSON/);
    expect(parseJsonConfig('[1]', 'c.json').errors[0]!.message).toBe('c.json: must be a JSON object of configuration fields');
    expect(parseJsonConfig('{"hidden": 3}', 'c.json').errors).toEqual([{ field: 'hidden', message: 'c.json: unknown field "hidden"' }]);
    expect(parseJsonConfig('{"epoch": 3}', 'c.json').errors[0]!.message).toBe('c.json: unknown field "epoch" (did you mean epochs?)');
  });
});

describe('readConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lw-cfg-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('chooses the format by extension, else by content', () => {
    writeFileSync(join(dir, 'a.json'), '{"H": 12}');
    writeFileSync(join(dir, 'cli_args.csv'), 'argument,value\nH,13\n');
    writeFileSync(join(dir, 'noext'), ' {"H": 14}');
    writeFileSync(join(dir, 'noext2'), 'H,15\n');
    expect(readConfigFile(join(dir, 'a.json')).values).toEqual({ H: 12 });
    expect(readConfigFile(join(dir, 'cli_args.csv')).values).toEqual({ H: 13 });
    expect(readConfigFile(join(dir, 'noext')).values).toEqual({ H: 14 });
    expect(readConfigFile(join(dir, 'noext2')).values).toEqual({ H: 15 });
  });
  it('a missing file is one clear error', () => {
    const l = readConfigFile(join(dir, 'nope.json'));
    expect(l.errors).toEqual([{ field: 'config', message: `--config: cannot read ${join(dir, 'nope.json')} (ENOENT)` }]);
  });
});
