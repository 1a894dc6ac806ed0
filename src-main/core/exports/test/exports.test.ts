/**
 * Exports of a stored experiment, end to end on real engine results:
 *
 *  - `lw run --out` runs a smoke experiment (two models × two seeds, in
 *    process); the unit outputs it received from the pool are captured and
 *    saved in a temporary store, as the scheduler saves them;
 *  - the 'zip' export of that experiment must unzip to exactly the files
 *    `lw run --out` wrote, byte for byte (SCIENCE.md §8 layout);
 *  - the 'csv' tables have the documented headers, one row per (run, item)
 *    as counted from the configuration, and the stored numbers;
 *  - the PDF opens with pdfjs, has every section heading and the name;
 *  - an experiment with a failed run, a run whose diagnostics failed and a
 *    run never started still exports in every format;
 *  - `lw export` writes the same bytes from the store opened read-only.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'csv-parse/sync';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../../../../src-shared/api';
import type { ExperimentConfig } from '../../../../src-shared/config';
import type { ExperimentDetail, RunResult } from '../../../../src-shared/results';
import type { RunUnitOutput } from '../../../../src-workers/tasks/protocol';
import { memoryIO } from '../../../cli/io';
import { runCli } from '../../../cli/lw';
import type { Store } from '../../store';
import { CSV_TABLE_NAMES, REPORT_SECTIONS, exportData } from '../index';
import { saveResult, storeExperiment, tempFolder, tempStore } from './fixtures';

/** Every unit output `lw run` receives from the pool (the pool is the real one, wrapped). */
const captured = vi.hoisted(() => [] as RunUnitOutput[]);
vi.mock('../../../../src-workers/tasks/pool', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../../../src-workers/tasks/pool')>();
  return {
    ...mod,
    createRunPool: (opts?: Parameters<typeof mod.createRunPool>[0]) => {
      const p = mod.createRunPool(opts);
      return {
        get threads() { return p.threads; },
        get stopped() { return p.stopped; },
        stop: () => p.stop(),
        destroy: () => p.destroy(),
        run: async (...args: Parameters<typeof p.run>) => {
          const o = await p.run(...args);
          captured.push(o);
          return o;
        },
      };
    },
  };
});

const MODELS = ['const', 'gru'] as const;
const SEEDS = [212, 1001] as const;

let folder: { dir: string; cleanup(): void };
let out: string;
let storeDir: string;
let store: Store;
let cfg: ExperimentConfig;
let exp: ExperimentDetail;
const prevDataDir = process.env.LW_DATA_DIR;

function resultOf(arch: string, seed: number): RunResult {
  const o = captured.find((x) => x.arch === arch && x.seed === seed);
  if (!o) throw new Error(`no captured output for ${arch}/${seed}`);
  const { arch: _a, seed: _s, ...res } = o;
  return res;
}

/** Every file under a folder: relative path ('/'-separated) → bytes. */
function readTree(root: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else files.set(relative(root, p).split(sep).join('/'), readFileSync(p));
    }
  };
  walk(root);
  return files;
}

function unzip(bytes: Uint8Array): Map<string, Buffer> {
  return new Map(Object.entries(unzipSync(bytes)).map(([k, v]) => [k, Buffer.from(v)]));
}

function csvRows(text: string): { header: string[]; rows: string[][] } {
  const all = parse(text) as string[][];
  return { header: all[0]!, rows: all.slice(1) };
}

/** The number a reference-style cell holds (nan / inf / -inf / True / False). */
function num(s: string): number {
  return s === 'nan' ? NaN : s === 'inf' ? Infinity : s === '-inf' ? -Infinity : s === 'True' ? 1 : s === 'False' ? 0 : Number(s);
}

async function pdfText(bytes: Uint8Array): Promise<{ pages: number; text: string }> {
  const { getDocument } = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, disableFontFace: true, useSystemFonts: false }).promise;
  let text = '';
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i);
    const tc = await page.getTextContent();
    text += `${tc.items.map((it) => ('str' in it ? it.str : '')).join(' ')}\n`;
  }
  const pages = doc.numPages;
  await doc.destroy();
  return { pages, text: text.replace(/\s+/g, ' ') };
}

beforeAll(async () => {
  folder = tempFolder();
  // lw run must not touch the user's data directory if it stores experiments
  process.env.LW_DATA_DIR = join(folder.dir, 'lw-run-data');
  out = join(folder.dir, 'run-out');
  const io = memoryIO();
  const code = await runCli(['run', '--preset', 'smoke', '--models', MODELS.join(','), '--seeds', SEEDS.join(','), '--workers', '0', '--quiet', '--out', out], io);
  expect(code, io.stderr.join('\n')).toBe(0);
  expect(captured).toHaveLength(MODELS.length * SEEDS.length);
  cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')) as ExperimentConfig;
  storeDir = join(folder.dir, 'store');
  store = tempStore(storeDir);
  exp = storeExperiment(store, 'Export smoke: two models', cfg, resultOf, { notes: 'for the export tests', tags: ['smoke', 'export'] });
});

afterAll(() => {
  store?.close();
  folder?.cleanup();
  if (prevDataDir === undefined) delete process.env.LW_DATA_DIR;
  else process.env.LW_DATA_DIR = prevDataDir;
});

describe("'zip': the reference layout (SCIENCE.md §8)", () => {
  it('unzips to exactly the files lw run --out wrote, byte for byte', async () => {
    const file = await exportData(store, { experimentId: exp.id, format: 'zip' });
    expect(file.mime).toBe('application/zip');
    expect(file.fileName).toBe(`lw-${exp.id}-export-smoke-two-models.zip`);
    const zipped = unzip(file.bytes);
    const written = readTree(out);
    expect([...zipped.keys()].sort()).toEqual([...written.keys()].sort());
    for (const [p, bytes] of written) expect(zipped.get(p)!.equals(bytes), p).toBe(true);
    // the layout itself, from SCIENCE.md §8 (plus our config.json, master fit, status and aggregates)
    const runFiles = (m: string) => [`${m}_learning_curve.csv`, `gate_stats_${m}.csv`, `${m}_summary.csv`, `${m}_mu_units.csv`,
      `${m}_tau_from_mu_units.csv`, `${m}_envelope_fits.json`, `${m}_H_N.csv`, `${m}_master_fit.json`, `${m}_status.json`,
      ...(m === 'const' ? ['const_tau_const.json'] : [])];
    const expected = [
      'config.json',
      ...SEEDS.flatMap((s) => [`seed_${s}/cli_args.csv`, `seed_${s}/H_N_summary.csv`, ...MODELS.flatMap((m) => runFiles(m).map((f) => `seed_${s}/${m}/${f}`))]),
      ...MODELS.map((m) => `aggregate/${m}_summary_agg.csv`), 'aggregate/H_N_summary_agg.csv',
    ];
    expect([...zipped.keys()].sort()).toEqual(expected.sort());
  });

  it('the same store state gives the same archive bytes', async () => {
    const a = await exportData(store, { experimentId: exp.id, format: 'zip' });
    const b = await exportData(store, { experimentId: exp.id, format: 'zip' });
    expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
  });

  it('one run: its own files, and a configuration narrowed to it', async () => {
    const run = exp.runs.find((r) => r.arch === 'gru' && r.seed === 1001)!;
    const file = await exportData(store, { runId: run.id, format: 'zip' });
    expect(file.fileName).toBe(`lw-${exp.id}-export-smoke-two-models-run${run.id}-gru-seed1001.zip`);
    const zipped = unzip(file.bytes);
    const written = readTree(out);
    const runPaths = [...written.keys()].filter((p) => p.startsWith('seed_1001/gru/'));
    for (const p of runPaths) expect(zipped.get(p)!.equals(written.get(p)!), p).toBe(true);
    expect([...zipped.keys()].filter((p) => p.startsWith('seed_')).sort())
      .toEqual([...runPaths, 'seed_1001/H_N_summary.csv', 'seed_1001/cli_args.csv'].sort());
    const narrowed = JSON.parse(zipped.get('config.json')!.toString('utf8')) as ExperimentConfig;
    expect(narrowed).toEqual({ ...cfg, models: ['gru'], seeds: [1001] });
    const args = Object.fromEntries(csvRows(zipped.get('seed_1001/cli_args.csv')!.toString('utf8')).rows);
    expect(args.models).toBe('gru');
    expect(args.seeds).toBe('1001');
    // H_N_summary of the run alone = the gru column of the experiment's
    const full = csvRows(written.get('seed_1001/H_N_summary.csv')!.toString('utf8'));
    const one = csvRows(zipped.get('seed_1001/H_N_summary.csv')!.toString('utf8'));
    expect(one.header).toEqual(['N', 'H_N_gru']);
    const col = full.header.indexOf('H_N_gru');
    expect(one.rows).toEqual(full.rows.map((r) => [r[0], r[col]]));
    expect([...zipped.keys()].filter((p) => p.startsWith('aggregate/')).sort()).toEqual(['aggregate/H_N_summary_agg.csv', 'aggregate/gru_summary_agg.csv']);
  });
});

describe("'csv': plain tables with run columns", () => {
  let tables: Map<string, { header: string[]; rows: string[][] }>;
  beforeAll(async () => {
    const file = await exportData(store, { experimentId: exp.id, format: 'csv' });
    expect(file.mime).toBe('application/zip');
    expect(file.fileName.endsWith('-tables.zip')).toBe(true);
    tables = new Map([...unzip(file.bytes)].map(([k, v]) => [k, csvRows(v.toString('utf8'))]));
  });

  it('one file per table', () => {
    expect([...tables.keys()].sort()).toEqual(CSV_TABLE_NAMES.map((n) => `${n}.csv`).sort());
  });

  it('headers and row counts follow from the configuration', () => {
    const runs = MODELS.length * SEEDS.length;
    // the lag grid of §4.3: trunc(linspace(lag_min, lag_max, num_lags)), distinct, < T
    const lags = [...new Set(Array.from({ length: cfg.num_lags }, (_, k) =>
      Math.trunc(cfg.lag_min + (k * (cfg.lag_max - cfg.lag_min)) / (cfg.num_lags - 1))))].filter((l) => l < cfg.T);
    const RUN = ['experiment_id', 'run_id', 'arch', 'seed'];
    const expect_ = (name: string, header: string[], rows: number) => {
      const t = tables.get(`${name}.csv`)!;
      expect(t.header, name).toEqual(header);
      expect(t.rows, name).toHaveLength(rows);
      for (const r of t.rows) expect(r, name).toHaveLength(header.length);
    };
    expect_('learning_curve', [...RUN, 'epoch', 'train_loss', 'train_acc', 'val_loss', 'val_acc'], runs * cfg.epochs);
    expect_('summary', [...RUN, 'ell', 'mu_l1_mean', 'log_mu_l1_mean', 'alpha_hat', 'sigma_alpha_hat', 'N_required_at_eps', 'best_snr',
      'err_at_best_snr', 'best_N_for_ell', 'mbar_scalar', 'alpha_reliable', 'alpha_method', 'n_samples'], runs * lags.length);
    expect_('mu_units', [...RUN, 'ell', ...Array.from({ length: cfg.H }, (_, q) => `mu_unit_${q}`)], runs * lags.length);
    expect_('tau_from_mu_units', [...RUN, 'unit_id', 'tau', 'C', 'a', 'b', 'r2', 'num_points'], runs * cfg.H);
    expect_('H_N', [...RUN, 'N', 'H_N'], runs * cfg.N_grid.length);
    expect_('envelope_fits', [...RUN, 'exp_a', 'exp_b', 'exp_r2', 'exp_tau_env', 'power_c', 'power_d', 'power_r2', 'log_e', 'log_g', 'log_r2', 'best'], runs);
    expect_('master_fit', [...RUN, 'slope', 'intercept', 'r2', 'n', 'skipped'], runs);
    expect_('const_tau', [...RUN, 's', 'leak', 'tau'], SEEDS.length);
    expect_('H_N_agg', ['arch', 'N', 'H_N_mean', 'H_N_std', 'H_N_n'], MODELS.length * cfg.N_grid.length);
    expect(tables.get('summary_agg.csv')!.rows).toHaveLength(MODELS.length * lags.length);
    expect(tables.get('summary_agg.csv')!.header.slice(0, 3)).toEqual(['arch', 'ell', 'mu_l1_mean_mean']);
    expect(tables.get('runs.csv')!.rows).toHaveLength(runs);
    expect(tables.get('config.csv')!.header).toEqual(['argument', 'value']);
    // gate statistics: one row per metric at epochs 0, gate_log_every, … (§3): const 3 metrics, gru 4
    const logged = Array.from({ length: cfg.epochs }, (_, e) => e).filter((e) => e % cfg.gate_log_every === 0).length;
    expect(tables.get('gate_stats.csv')!.rows).toHaveLength(SEEDS.length * logged * (3 + 4));
  });

  it('rows carry the run columns and the stored numbers exactly', () => {
    const lc = tables.get('learning_curve.csv')!;
    for (const run of exp.runs) {
      const rows = lc.rows.filter((r) => Number(r[1]) === run.id);
      expect(rows.every((r) => r[0] === String(exp.id) && r[2] === run.arch && r[3] === String(run.seed))).toBe(true);
      const curve = resultOf(run.arch, run.seed).curve;
      expect(rows.map((r) => r.slice(4).map(num))).toEqual(curve.map((c) => [c.epoch, c.train_loss, c.train_acc, c.val_loss, c.val_acc]));
    }
    const hn = tables.get('H_N.csv')!;
    const gru = exp.runs.find((r) => r.arch === 'gru' && r.seed === 212)!;
    expect(hn.rows.filter((r) => Number(r[1]) === gru.id).map((r) => [num(r[4]!), num(r[5]!)]))
      .toEqual(resultOf('gru', 212).diagnostics!.H_N.map((h) => [h.N, h.H_N]));
    const runs = tables.get('runs.csv')!;
    const status = runs.header.indexOf('status');
    const kernels = runs.header.indexOf('kernels');
    const [asked, used, adapter] = ['backend', 'backend_used', 'adapter'].map((c) => runs.header.indexOf(c));
    for (const r of runs.rows) {
      expect(r[status]).toBe('done');
      expect(r[kernels]).toBe(resultOf(r[2]!, Number(r[3])).kernelsName);
      expect([r[asked], r[used], r[adapter]]).toEqual(['auto', 'cpu', '']);
    }
    const info = Object.fromEntries(tables.get('experiment.csv')!.rows);
    expect(info.name).toBe('Export smoke: two models');
    expect(info.tags.split(',').sort()).toEqual(['export', 'smoke']);
    expect(info.created_at).toBe('2025-01-02T03:04:05.000Z');
  });

  it('one table as a single .csv file, the same text as in the ZIP', async () => {
    const file = await exportData(store, { experimentId: exp.id, format: 'csv', table: 'summary' });
    expect(file.mime).toBe('text/csv; charset=utf-8');
    expect(file.fileName).toBe(`lw-${exp.id}-export-smoke-two-models-summary.csv`);
    expect(csvRows(new TextDecoder().decode(file.bytes))).toEqual(tables.get('summary.csv'));
  });
});

describe("'pdf': the report", () => {
  it('opens, has every section heading and the experiment name', async () => {
    const file = await exportData(store, { experimentId: exp.id, format: 'pdf' });
    expect(file.mime).toBe('application/pdf');
    expect(file.fileName).toBe(`lw-${exp.id}-export-smoke-two-models-report.pdf`);
    expect(Buffer.from(file.bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    const { pages, text } = await pdfText(file.bytes);
    expect(pages).toBeGreaterThanOrEqual(6);
    for (const h of REPORT_SECTIONS) expect(text, h).toContain(h);
    expect(text).toContain('Export smoke: two models');
    expect(text).toContain('for the export tests');
    expect(text).toContain(resultOf('gru', 212).kernelsName);
  });
});

describe('an experiment with failed, unfinished and partial runs still exports', () => {
  let broken: ExperimentDetail;
  beforeAll(() => {
    broken = store.createExperiment('Broken runs', cfg, { notes: 'one failure of each kind' });
    const id = (arch: string, seed: number) => broken.runs.find((r) => r.arch === arch && r.seed === seed)!.id;
    saveResult(store, id('const', 212), resultOf('const', 212));
    // the worker died: no result, an error
    store.setRunStatus(id('gru', 212), 'running');
    store.setRunStatus(id('gru', 212), 'failed', { error: 'worker exited with code 1' });
    // training finished, diagnostics threw
    saveResult(store, id('const', 1001), { ...resultOf('const', 1001), diagnostics: null, diagnosticsStatus: 'failed', diagnosticsError: 'boom' });
    // gru/1001 never started (queued)
    broken = store.getExperiment(broken.id)!;
  });

  it('zip: failed runs have a status file, the queued run nothing, aggregates from what exists', async () => {
    const z = unzip((await exportData(store, { experimentId: broken.id, format: 'zip' })).bytes);
    const failed = JSON.parse(z.get('seed_212/gru/gru_status.json')!.toString('utf8'));
    expect(failed).toMatchObject({ model: 'gru', seed: 212, status: 'failed', epochs: 0, diagnostics: 'skipped', error: 'worker exited with code 1' });
    expect([...z.keys()].filter((p) => p.startsWith('seed_212/gru/'))).toEqual(['seed_212/gru/gru_status.json']);
    const diagFailed = JSON.parse(z.get('seed_1001/const/const_status.json')!.toString('utf8'));
    expect(diagFailed).toMatchObject({ status: 'failed', diagnostics: 'failed', error: 'diagnostics failed: boom', epochs: cfg.epochs });
    expect(z.has('seed_1001/const/const_learning_curve.csv')).toBe(true);
    expect(z.has('seed_1001/const/const_summary.csv')).toBe(false);
    expect([...z.keys()].some((p) => p.startsWith('seed_1001/gru/'))).toBe(false);
    expect(z.has('seed_1001/H_N_summary.csv')).toBe(false);
    expect(z.has('seed_1001/cli_args.csv')).toBe(true);
    expect(csvRows(z.get('seed_212/H_N_summary.csv')!.toString('utf8')).header).toEqual(['N', 'H_N_const']);
    expect([...z.keys()].filter((p) => p.startsWith('aggregate/')).sort()).toEqual(['aggregate/H_N_summary_agg.csv', 'aggregate/const_summary_agg.csv']);
  });

  it('csv: runs.csv lists every run with its status; data tables only what exists', async () => {
    const z = unzip((await exportData(store, { experimentId: broken.id, format: 'csv' })).bytes);
    const runs = csvRows(z.get('runs.csv')!.toString('utf8'));
    const col = (n: string) => runs.header.indexOf(n);
    expect(runs.rows.map((r) => [r[col('arch')], r[col('seed')], r[col('status')], r[col('error')]])).toEqual([
      ['const', '212', 'done', ''], ['gru', '212', 'failed', 'worker exited with code 1'],
      ['const', '1001', 'failed', 'diagnostics failed: boom'], ['gru', '1001', 'queued', ''],
    ]);
    expect(csvRows(z.get('summary.csv')!.toString('utf8')).rows.every((r) => r[2] === 'const' && r[3] === '212')).toBe(true);
    expect(csvRows(z.get('learning_curve.csv')!.toString('utf8')).rows).toHaveLength(2 * cfg.epochs);
  });

  it('pdf: every section, and a visible note for each missing piece', async () => {
    const { text } = await pdfText((await exportData(store, { experimentId: broken.id, format: 'pdf' })).bytes);
    for (const h of REPORT_SECTIONS) expect(text, h).toContain(h);
    expect(text).toContain('failed: worker exited with code 1');
    expect(text).toMatch(/is queued: not included/);
    expect(text).toContain('diagnostics failed: boom');
  });

  it('an experiment with no finished run: the layout has the configuration only, the report says so', async () => {
    const empty = store.createExperiment('Nothing ran', cfg);
    const z = unzip((await exportData(store, { experimentId: empty.id, format: 'zip' })).bytes);
    expect([...z.keys()].sort()).toEqual(['config.json', ...SEEDS.map((s) => `seed_${s}/cli_args.csv`)].sort());
    const { text } = await pdfText((await exportData(store, { experimentId: empty.id, format: 'pdf' })).bytes);
    for (const h of REPORT_SECTIONS) expect(text, h).toContain(h);
    expect(text).toContain('No finished run has diagnostics');
    const csv = unzip((await exportData(store, { experimentId: empty.id, format: 'csv' })).bytes);
    expect(csvRows(csv.get('summary.csv')!.toString('utf8')).rows).toHaveLength(0);
  });
});

describe('arguments', () => {
  const code = async (p: Promise<unknown>) => {
    try {
      await p;
    } catch (err) {
      expect(err).toBeInstanceOf(ApiError);
      return (err as ApiError).code;
    }
    return 'ok';
  };
  it('not found, invalid, and a run of another experiment', async () => {
    expect(await code(exportData(store, { experimentId: 9999, format: 'zip' }))).toBe('not-found');
    expect(await code(exportData(store, { runId: 9999, format: 'zip' }))).toBe('not-found');
    expect(await code(exportData(store, { format: 'zip' }))).toBe('invalid');
    expect(await code(exportData(store, { experimentId: exp.id, format: 'docx' as 'zip' }))).toBe('invalid');
    expect(await code(exportData(store, { experimentId: exp.id, format: 'pdf', table: 'summary' }))).toBe('invalid');
    expect(await code(exportData(store, { experimentId: exp.id, format: 'csv', table: 'nope' as 'summary' }))).toBe('invalid');
    expect(await code(exportData(store, { experimentId: -1, format: 'zip' }))).toBe('invalid');
    const other = store.createExperiment('Other', cfg);
    expect(await code(exportData(store, { experimentId: other.id, runId: exp.runs[0]!.id, format: 'zip' }))).toBe('invalid');
  });
});

describe('lw export', () => {
  it('writes the export of the store (opened read-only) and prints the path', async () => {
    const target = join(folder.dir, 'cli-export.zip');
    const before = readFileSync(join(storeDir, 'workstation.db'));
    const io = memoryIO();
    const rc = await runCli(['export', '--experiment', String(exp.id), '--format', 'zip', '--out', target, '--data-dir', storeDir], io);
    expect(rc, io.stderr.join('\n')).toBe(0);
    expect(io.stdout.at(-1)).toBe(target);
    const direct = await exportData(store, { experimentId: exp.id, format: 'zip' });
    expect(readFileSync(target).equals(Buffer.from(direct.bytes))).toBe(true);
    expect(readFileSync(join(storeDir, 'workstation.db')).equals(before)).toBe(true);
  });

  it('one table, and the report', async () => {
    const csv = join(folder.dir, 'hn.csv');
    expect(await runCli(['export', '--experiment', String(exp.id), '--format', 'csv', '--table', 'H_N', '--out', csv, '--data-dir', storeDir], memoryIO())).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\n')[0]).toBe('experiment_id,run_id,arch,seed,N,H_N');
    const pdf = join(folder.dir, 'report.pdf');
    expect(await runCli(['export', '--run', String(exp.runs[0]!.id), '--format', 'pdf', '--out', pdf, '--data-dir', storeDir], memoryIO())).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('errors: exit 2 for invalid input, 1 for what is not there', async () => {
    const io1 = memoryIO();
    expect(await runCli(['export', '--experiment', '9999', '--format', 'zip', '--data-dir', storeDir], io1)).toBe(1);
    expect(io1.stderr.join('\n')).toContain('no experiment with id 9999');
    expect(await runCli(['export', '--experiment', String(exp.id), '--data-dir', storeDir], memoryIO())).toBe(2);
    expect(await runCli(['export', '--experiment', 'x', '--format', 'zip', '--data-dir', storeDir], memoryIO())).toBe(2);
    expect(await runCli(['export', '--format', 'zip', '--data-dir', storeDir], memoryIO())).toBe(2);
    expect(await runCli(['export', '--experiment', '1', '--format', 'pdf', '--table', 'H_N', '--data-dir', storeDir], memoryIO())).toBe(2);
    const io2 = memoryIO();
    expect(await runCli(['export', '--experiment', '1', '--format', 'zip', '--data-dir', join(folder.dir, 'nowhere')], io2)).toBe(1);
    expect(io2.stderr.join('\n')).toContain('no workstation database');
  });
});
